//! Access-log files and their rotation by size. Everything here runs on the `gwtui-logs`
//! thread (the request task only queues a record), so opening, renaming and writing never
//! block a request.
//!
//! A stage's log is `{data dir}/logs/access-{apiId}-{stage}.log` (the canary's
//! `access-{apiId}-{stage}.Canary.log`). When appending a line would take it over
//! [`Rotation::max_bytes`], it is closed and renamed `….log.1` (an older `.1` becomes `.2`, and
//! so on), and a new file is started; at most [`Rotation::max_files`] files are kept, the
//! current one included, so a stage's logs take at most `max_bytes × max_files` bytes (a single
//! line longer than `max_bytes` is written whole, alone in its file).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::engine::types::Variant;

/// Default size at which an access-log file is rotated: 64 MiB.
pub const DEFAULT_ACCESS_LOG_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Default number of files kept per stage log (the current one and four rotated ones).
pub const DEFAULT_ACCESS_LOG_MAX_FILES: u32 = 5;

/// When access-log files rotate and how many are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// A file is rotated before a line would take it over this size (at least 1).
    pub max_bytes: u64,
    /// Files kept per stage log, the current one included (at least 1: with 1, rotating
    /// drops the old contents).
    pub max_files: u32,
}

impl Default for Rotation {
    fn default() -> Self {
        Rotation {
            max_bytes: DEFAULT_ACCESS_LOG_MAX_BYTES,
            max_files: DEFAULT_ACCESS_LOG_MAX_FILES,
        }
    }
}

impl Rotation {
    /// With each limit at least 1.
    pub fn new(max_bytes: u64, max_files: u32) -> Rotation {
        Rotation {
            max_bytes: max_bytes.max(1),
            max_files: max_files.max(1),
        }
    }
}

fn file_component(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where a stage's access log (or its canary's) is written.
pub fn access_log_path(dir: &Path, api_id: &str, stage: &str, variant: Variant) -> PathBuf {
    let (api, stage) = (file_component(api_id), file_component(stage));
    match variant {
        Variant::Base => dir.join(format!("access-{api}-{stage}.log")),
        Variant::Canary => dir.join(format!("access-{api}-{stage}.Canary.log")),
    }
}

/// The `n`th rotated file of `path` (`….log.n`; 0 is `path` itself).
pub fn rotated_path(path: &Path, n: u32) -> PathBuf {
    if n == 0 {
        return path.to_path_buf();
    }
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// One open access-log file.
pub(super) struct AccessFile {
    pub api_id: String,
    pub stage: String,
    pub variant: Variant,
    pub path: PathBuf,
    pub last_used: Instant,
    writer: BufWriter<File>,
    /// Bytes in the file, buffered ones included.
    size: u64,
}

fn open_append(path: &Path) -> std::io::Result<(BufWriter<File>, u64)> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((BufWriter::with_capacity(64 * 1024, file), size))
}

impl AccessFile {
    pub fn open(
        dir: &Path,
        api_id: &str,
        stage: &str,
        variant: Variant,
        now: Instant,
    ) -> std::io::Result<AccessFile> {
        std::fs::create_dir_all(dir)?;
        let path = access_log_path(dir, api_id, stage, variant);
        let (writer, size) = open_append(&path)?;
        Ok(AccessFile {
            api_id: api_id.to_string(),
            stage: stage.to_string(),
            variant,
            path,
            last_used: now,
            writer,
            size,
        })
    }

    pub fn flush(&mut self) {
        let _ = self.writer.flush();
    }

    /// Appends `line` (and a newline if it has none), rotating first when it would take the
    /// file over the limit. A failed rotation keeps writing to the current file.
    pub fn write_line(&mut self, line: &str, rotation: Rotation) {
        let newline = !line.ends_with('\n');
        let len = line.len() as u64 + u64::from(newline);
        if self.size > 0 && self.size + len > rotation.max_bytes {
            let _ = self.rotate(rotation);
        }
        let written = self.writer.write_all(line.as_bytes()).is_ok()
            && (!newline || self.writer.write_all(b"\n").is_ok());
        if written {
            self.size += len;
        }
    }

    /// Closes the file, shifts the rotated ones (dropping the oldest beyond `max_files`) and
    /// starts a new file.
    fn rotate(&mut self, rotation: Rotation) -> std::io::Result<()> {
        self.writer.flush()?;
        let keep = rotation.max_files - 1;
        if keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            // The oldest kept goes; each other moves one up; the current becomes `.1`.
            let _ = std::fs::remove_file(rotated_path(&self.path, keep));
            for n in (1..keep).rev() {
                let from = rotated_path(&self.path, n);
                if from.exists() {
                    std::fs::rename(&from, rotated_path(&self.path, n + 1))?;
                }
            }
            std::fs::rename(&self.path, rotated_path(&self.path, 1))?;
        }
        let (writer, size) = open_append(&self.path)?;
        // The old writer (already flushed) closes its file here.
        self.writer = writer;
        self.size = size;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn files_rotate_at_the_size_limit_and_only_max_files_are_kept() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let rotation = Rotation::new(100, 3);
        let mut f = AccessFile::open(dir.path(), "api", "prod", Variant::Base, Instant::now())
            .unwrap_or_else(|e| panic!("{e}"));
        // 10-byte lines (9 + newline): 10 per file.
        for i in 0..45 {
            f.write_line(&format!("line-{i:04}"), rotation);
        }
        f.flush();
        let path = access_log_path(dir.path(), "api", "prod", Variant::Base);
        let current = read(&path);
        assert_eq!(current.lines().count(), 5, "{current}");
        assert!(current.starts_with("line-0040\n"));
        let one = read(&rotated_path(&path, 1));
        assert_eq!(one.len(), 100);
        assert!(one.starts_with("line-0030\n"), "{one}");
        assert!(read(&rotated_path(&path, 2)).starts_with("line-0020\n"));
        assert!(!rotated_path(&path, 3).exists(), "only 3 files are kept");
        let files = std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or_default();
        assert_eq!(files, 3);
    }

    #[test]
    fn a_reopened_file_counts_what_it_already_holds_and_one_file_means_no_history() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let rotation = Rotation::new(25, 1);
        let open = || {
            AccessFile::open(dir.path(), "api", "prod", Variant::Canary, Instant::now())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let mut f = open();
        f.write_line("0123456789\n", rotation);
        f.write_line("0123456789\n", rotation);
        f.flush();
        drop(f);
        let mut f = open();
        // 22 bytes there: the next line would make 33, so the file starts over.
        f.write_line("abcdefghij", rotation);
        f.flush();
        let path = access_log_path(dir.path(), "api", "prod", Variant::Canary);
        assert!(path.ends_with("access-api-prod.Canary.log"));
        assert_eq!(read(&path), "abcdefghij\n");
        assert!(!rotated_path(&path, 1).exists());
        // A line longer than the limit is written whole, alone.
        let long = "x".repeat(40);
        f.write_line(&long, rotation);
        f.write_line("after", rotation);
        f.flush();
        assert_eq!(read(&path), "after\n");
    }
}
