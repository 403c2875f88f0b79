//! Bridges between the blocking pipeline thread and async I/O: bounded channels of byte
//! chunks, so that memory stays bounded whatever the artifact size.

use std::io::{self, Read, Write};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::backup::BackupError;
use crate::backup::archive::SourceError;

/// Size of one chunk handed between threads.
pub const CHUNK: usize = 1 << 20;
/// Chunks in flight between threads.
pub const DEPTH: usize = 4;

/// A message to an uploader: data, or the end of a complete artifact. A channel closed
/// without [`Upload::Done`] means the producer failed: the upload must be aborted.
#[derive(Debug)]
pub enum Upload {
    /// The next bytes.
    Chunk(Bytes),
    /// Everything was written.
    Done,
}

/// A [`Write`] that sends 1 MiB chunks to an async uploader (blocking while it is behind).
#[derive(Debug)]
pub struct ChannelWriter {
    tx: mpsc::Sender<Upload>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    /// Writes to `tx`.
    pub fn new(tx: mpsc::Sender<Upload>) -> Self {
        Self {
            tx,
            buf: Vec::with_capacity(CHUNK),
        }
    }

    fn send(&mut self, msg: Upload) -> io::Result<()> {
        self.tx
            .blocking_send(msg)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the uploader stopped"))
    }

    fn send_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
            self.send(Upload::Chunk(Bytes::from(chunk)))?;
        }
        Ok(())
    }

    /// Sends what is buffered and the end marker.
    pub fn finish(mut self) -> io::Result<()> {
        self.send_buf()?;
        self.send(Upload::Done)
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.send_buf()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A [`Read`] over chunks received from an async downloader. Errors keep their category
/// (wrapped in [`SourceError`]).
#[derive(Debug)]
pub struct ChannelReader {
    rx: mpsc::Receiver<Result<Bytes, BackupError>>,
    current: Bytes,
}

impl ChannelReader {
    /// Reads from `rx`; the stream ends when the sender is dropped.
    pub fn new(rx: mpsc::Receiver<Result<Bytes, BackupError>>) -> Self {
        Self {
            rx,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(io::Error::other(SourceError(e))),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
