//! A local (mounted) directory: writes go to a hidden temporary name, are fsynced, renamed into
//! place, and the directory is fsynced.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{ArtifactSink, Listed, Upload};
use crate::backup::BackupError;

/// A directory destination.
#[derive(Debug, Clone)]
pub struct LocalDir {
    dir: PathBuf,
}

fn dest_err(what: &str, path: &Path, e: &io::Error) -> BackupError {
    BackupError::Destination(format!("{what} {}: {e}", path.display()))
}

impl LocalDir {
    /// `path` must be absolute (`file:///dir`).
    pub fn open(path: &str) -> Result<Self, BackupError> {
        let dir = PathBuf::from(path);
        if !dir.is_absolute() {
            return Err(BackupError::Usage(format!(
                "file:// destinations need an absolute path (file:///dir), got {path:?}"
            )));
        }
        Ok(Self { dir })
    }

    pub(super) fn location(&self, name: &str) -> String {
        format!("file://{}", self.dir.join(name).display())
    }

    pub(super) async fn check(&self) -> Result<(), BackupError> {
        match tokio::fs::metadata(&self.dir).await {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(BackupError::Destination(format!(
                "{} is not a directory",
                self.dir.display()
            ))),
            Err(e) => Err(dest_err("destination directory", &self.dir, &e)),
        }
    }

    fn temp_path(&self, name: &str) -> PathBuf {
        let tag: u64 = rand::random();
        self.dir.join(format!(".{name}.tmp-{tag:016x}"))
    }

    pub(super) async fn upload(&self, name: &str) -> Result<Upload, BackupError> {
        let tmp = self.temp_path(name);
        let file = File::create(&tmp).map_err(|e| dest_err("creating", &tmp, &e))?;
        Ok(Upload {
            sink: Box::new(FileSink {
                out: Some(BufWriter::with_capacity(1 << 20, file)),
                tmp,
                target: self.dir.join(name),
                dir: self.dir.clone(),
            }),
            task: None,
        })
    }

    pub(super) async fn reader(&self, name: &str) -> Result<Box<dyn Read + Send>, BackupError> {
        let path = self.dir.join(name);
        match File::open(&path) {
            Ok(f) => Ok(Box::new(io::BufReader::with_capacity(1 << 20, f))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(BackupError::Destination(
                format!("artifact {} not found", path.display()),
            )),
            Err(e) => Err(dest_err("opening", &path, &e)),
        }
    }

    pub(super) async fn get_small(&self, name: &str) -> Result<Option<Vec<u8>>, BackupError> {
        let path = self.dir.join(name);
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(dest_err("reading", &path, &e)),
        }
    }

    pub(super) async fn put_small(&self, name: &str, data: Vec<u8>) -> Result<(), BackupError> {
        let tmp = self.temp_path(name);
        let target = self.dir.join(name);
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            let result = (|| {
                let mut f = File::create(&tmp)?;
                f.write_all(&data)?;
                f.sync_all()?;
                fs::rename(&tmp, &target)?;
                sync_dir(&dir)
            })();
            if result.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            result.map_err(|e| dest_err("writing", &target, &e))
        })
        .await?
    }

    pub(super) async fn list(&self) -> Result<Vec<Listed>, BackupError> {
        let mut out = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.dir)
            .await
            .map_err(|e| dest_err("listing", &self.dir, &e))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| dest_err("listing", &self.dir, &e))?
        {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let Ok(meta) = entry.metadata().await else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let modified = meta
                .modified()
                .map(DateTime::<Utc>::from)
                .unwrap_or_else(|_| Utc::now());
            out.push(Listed {
                name,
                size: meta.len(),
                modified,
            });
        }
        Ok(out)
    }

    pub(super) async fn delete(&self, name: &str) -> Result<(), BackupError> {
        let path = self.dir.join(name);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(dest_err("deleting", &path, &e)),
        }
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

struct FileSink {
    out: Option<BufWriter<File>>,
    tmp: PathBuf,
    target: PathBuf,
    dir: PathBuf,
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.out {
            Some(out) => out.write(buf),
            None => Err(io::Error::other("artifact already finished")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}

impl ArtifactSink for FileSink {
    fn finish(mut self: Box<Self>) -> Result<(), BackupError> {
        let out = self
            .out
            .take()
            .ok_or_else(|| BackupError::Internal("artifact finished twice".into()))?;
        let file = out
            .into_inner()
            .map_err(|e| dest_err("writing", &self.tmp, e.error()))?;
        file.sync_all()
            .map_err(|e| dest_err("syncing", &self.tmp, &e))?;
        drop(file);
        fs::rename(&self.tmp, &self.target).map_err(|e| dest_err("renaming", &self.target, &e))?;
        sync_dir(&self.dir).map_err(|e| dest_err("syncing", &self.dir, &e))
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        // Not finished: abandon the temporary file.
        if self.out.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
