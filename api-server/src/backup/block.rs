//! Record blocks: many records of one collection in one buffer, each already framed exactly as
//! in the archive (tag, u32 LE length, bytes), handed from a store dump to the archive writer.
//!
//! Why: a dump produces millions of small records. One `Vec` per record cost an allocation, a
//! free and two copies per record (into the batch, then into the writer's buffer); a block is
//! filled in place (the embedded dump encodes rows straight into it) and written to the
//! compressor with one call, the same bytes an [`super::archive::ArchiveWriter::record`] per
//! record would have written. A [`BlockPool`] hands the buffers of written blocks back to the
//! dump, so that the ~1 MiB buffers are not freed and allocated again for every block (glibc
//! returns freed memory at the top of a heap to the kernel, and every new page costs a fault).

use std::sync::{Arc, Mutex};

use super::BackupError;
use super::archive::{MAX_RECORD, TAG_RECORD};

/// Bytes after which a block is full and should be sent (a block ends after the record that
/// crossed this size, so it may be larger by one record).
pub const BLOCK_BYTES: usize = 1 << 20;
/// Tag and length in front of each record.
const FRAME: usize = 5;
/// Initial capacity of a block: [`BLOCK_BYTES`] and one more typical record.
const CAPACITY: usize = BLOCK_BYTES + (64 << 10);
/// Most spare buffers a pool keeps: about the blocks in flight between a dump and the writer.
const MAX_SPARE: usize = 8;

/// Records of one collection, framed as in the archive. See the module docs. A block taken
/// from a [`BlockPool`] returns its buffer to the pool when dropped.
#[derive(Debug, Default)]
pub struct RecordBlock {
    buf: Vec<u8>,
    count: usize,
    pool: Option<BlockPool>,
}

impl RecordBlock {
    /// An empty block with room for [`BLOCK_BYTES`] and one more typical record, outside any
    /// pool.
    pub fn new() -> Self {
        Self {
            buf: Vec::with_capacity(CAPACITY),
            count: 0,
            pool: None,
        }
    }

    /// Appends a copy of `record`.
    pub fn push(&mut self, record: &[u8]) -> Result<(), BackupError> {
        self.push_with(|out| {
            out.extend_from_slice(record);
            Ok(())
        })
    }

    /// Appends the record that `encode` appends to the buffer it is given (it must only
    /// append), without an intermediate copy. On error nothing is added.
    pub fn push_with(
        &mut self,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), BackupError>,
    ) -> Result<(), BackupError> {
        let start = self.buf.len();
        self.buf.push(TAG_RECORD);
        self.buf.extend_from_slice(&[0; 4]);
        if let Err(e) = encode(&mut self.buf) {
            self.buf.truncate(start);
            return Err(e);
        }
        let len = self.buf.len() - start - FRAME;
        match u32::try_from(len) {
            Ok(n) if len <= MAX_RECORD => {
                self.buf[start + 1..start + FRAME].copy_from_slice(&n.to_le_bytes());
                self.count += 1;
                Ok(())
            }
            _ => {
                self.buf.truncate(start);
                Err(BackupError::Store(format!(
                    "a record of {len} bytes is larger than the archive's 256 MiB limit"
                )))
            }
        }
    }

    /// Whether the block reached [`BLOCK_BYTES`].
    pub fn is_full(&self) -> bool {
        self.buf.len() >= BLOCK_BYTES
    }

    /// Whether the block holds no record.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.count
    }

    /// The framed records, as they go into the archive.
    pub fn framed(&self) -> &[u8] {
        &self.buf
    }

    /// The records' bytes, in order.
    pub fn records(&self) -> Records<'_> {
        Records { rest: &self.buf }
    }

    /// Empties the block, keeping its buffer for reuse.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.count = 0;
    }
}

impl Drop for RecordBlock {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            pool.give(std::mem::take(&mut self.buf));
        }
    }
}

/// Spare block buffers shared by a dump (which takes blocks) and the writer (which drops them
/// once written): at most [`MAX_SPARE`] buffers are kept, so memory stays bounded.
#[derive(Debug, Clone, Default)]
pub struct BlockPool {
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl BlockPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty block, reusing a returned buffer when there is one.
    pub fn block(&self) -> RecordBlock {
        let spare = self.spare.lock().ok().and_then(|mut s| s.pop());
        RecordBlock {
            buf: spare.unwrap_or_else(|| Vec::with_capacity(CAPACITY)),
            count: 0,
            pool: Some(self.clone()),
        }
    }

    fn give(&self, mut buf: Vec<u8>) {
        buf.clear();
        // A poisoned lock only means another thread panicked: the buffer is then just freed.
        if let Ok(mut spare) = self.spare.lock()
            && spare.len() < MAX_SPARE
        {
            spare.push(buf);
        }
    }
}

/// Iterator over the records of a [`RecordBlock`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        // The block wrote every frame itself: tag, 4 length bytes, then that many bytes.
        let len_bytes: [u8; 4] = self.rest.get(1..FRAME)?.try_into().ok()?;
        let end = FRAME + u32::from_le_bytes(len_bytes) as usize;
        let record = self.rest.get(FRAME..end)?;
        self.rest = &self.rest[end..];
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::archive::{ArchiveHeader, ArchiveWriter};

    #[test]
    fn frames_records_like_the_archive_writer() {
        let header = ArchiveHeader {
            format_version: crate::backup::archive::FORMAT_VERSION,
            app_version: "t".into(),
            store: "embedded".into(),
            schema_version: 1,
            started_at: chrono::DateTime::UNIX_EPOCH,
        };
        let records: [&[u8]; 3] = [b"first", b"", &[0, 255, 7]];
        let mut block = RecordBlock::new();
        for r in records {
            block.push(r).unwrap();
        }
        block
            .push_with(|out| {
                out.extend_from_slice(b"enc");
                Ok(())
            })
            .unwrap();
        assert_eq!(block.len(), 4);
        let got: Vec<&[u8]> = block.records().collect();
        assert_eq!(got, [&b"first"[..], b"", &[0, 255, 7], b"enc"]);

        let mut one = ArchiveWriter::new(Vec::new(), &header).unwrap();
        one.begin("t").unwrap();
        for r in got {
            one.record(r).unwrap();
        }
        let mut blocks = ArchiveWriter::new(Vec::new(), &header).unwrap();
        blocks.begin("t").unwrap();
        blocks.records(&block).unwrap();
        assert_eq!(one.collections(), blocks.collections());
        let m = crate::backup::archive::Manifest::empty();
        assert_eq!(
            one.finish(m.clone()).unwrap().0,
            blocks.finish(m).unwrap().0
        );
    }

    #[test]
    fn a_failed_or_oversized_record_leaves_the_block_unchanged() {
        let mut block = RecordBlock::new();
        block.push(b"kept").unwrap();
        let before = block.framed().to_vec();
        let e = block
            .push_with(|out| {
                out.extend_from_slice(b"partial");
                Err(BackupError::Store("row".into()))
            })
            .unwrap_err();
        assert!(matches!(e, BackupError::Store(_)));
        let e = block
            .push_with(|out| {
                out.resize(out.len() + MAX_RECORD + 1, 0);
                Ok(())
            })
            .unwrap_err();
        assert!(e.to_string().contains("256 MiB"), "{e}");
        assert_eq!(block.framed(), &before[..]);
        assert_eq!(block.len(), 1);
        block.clear();
        assert!(block.is_empty() && block.framed().is_empty());
    }

    #[test]
    fn a_pool_reuses_the_buffers_of_dropped_blocks() {
        let pool = BlockPool::new();
        let mut block = pool.block();
        block.push(b"record").unwrap();
        let addr = block.framed().as_ptr();
        drop(block);
        let again = pool.block();
        assert!(again.is_empty() && again.framed().is_empty());
        assert_eq!(again.framed().as_ptr(), addr, "the buffer was not reused");
        let many: Vec<RecordBlock> = (0..MAX_SPARE + 3).map(|_| pool.block()).collect();
        drop(many);
        assert_eq!(pool.spare.lock().unwrap().len(), MAX_SPARE);
    }
}
