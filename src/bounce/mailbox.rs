//! Many bounces at once: an mbox file split into its messages (`From `
//! lines, `>From ` unquoted), a Maildir (`cur/` and `new/`), or several
//! files and directories.

use std::io;
use std::path::{Path, PathBuf};

/// Splits an mbox into messages. Text that does not start with a `From `
/// line is one message.
pub fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if !bytes[start..].starts_with(b"From ") {
        return vec![bytes.to_vec()];
    }
    mail_parser::mailbox::mbox::MessageIterator::new(&bytes[start..])
        .filter_map(Result::ok)
        .map(|m| m.unwrap_contents())
        .collect()
}

/// Whether `dir` is a Maildir (has `cur/` or `new/`).
fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

fn files_in(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if p.is_file() && !hidden {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

/// The messages of a Maildir: the files in `new/` and `cur/` (not `tmp/`),
/// sorted by name, with their paths.
pub fn read_maildir(dir: &Path) -> io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let d = dir.join(sub);
        if d.is_dir() {
            for f in files_in(&d)? {
                let bytes = std::fs::read(&f)?;
                out.push((f, bytes));
            }
        }
    }
    Ok(out)
}

/// The messages in files and directories: a Maildir is read as one, another
/// directory's files one by one, and each file split as an mbox (a file
/// that is not an mbox is one message). Each message comes with a name:
/// the path, and `#N` for the Nth message of an mbox.
pub fn read_paths(paths: &[PathBuf]) -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for p in paths {
        let files: Vec<(PathBuf, Vec<u8>)> = if p.is_dir() && is_maildir(p) {
            read_maildir(p)?
        } else if p.is_dir() {
            files_in(p)?
                .into_iter()
                .map(|f| std::fs::read(&f).map(|b| (f, b)))
                .collect::<io::Result<_>>()?
        } else {
            vec![(p.clone(), std::fs::read(p)?)]
        };
        for (f, bytes) in files {
            let messages = split_mbox(&bytes);
            let many = messages.len() > 1;
            for (i, m) in messages.into_iter().enumerate() {
                let name = if many {
                    format!("{}#{}", f.display(), i + 1)
                } else {
                    f.display().to_string()
                };
                out.push((name, m));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_messages_are_split_and_unquoted() {
        let mbox = b"From MAILER-DAEMON Thu Apr 29 23:34:45 2015\nSubject: one\n\n>From the start\nbody\n\nFrom MAILER-DAEMON Thu Apr 29 23:34:46 2015\nSubject: two\n\nx\n";
        let m = split_mbox(mbox);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0], b"Subject: one\n\nFrom the start\nbody\n\n");
        assert_eq!(m[1], b"Subject: two\n\nx\n");
        assert_eq!(split_mbox(b"550 5.7.1 no").len(), 1);
    }

    #[test]
    fn maildirs_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("md");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(md.join(sub)).unwrap();
        }
        std::fs::write(md.join("new/1"), "Subject: a\n\nx").unwrap();
        std::fs::write(md.join("cur/2:2,S"), "Subject: b\n\ny").unwrap();
        std::fs::write(md.join("tmp/3"), "Subject: c\n\nz").unwrap();
        let mbox = dir.path().join("box");
        std::fs::write(
            &mbox,
            "From a Thu Apr 29 23:34:45 2015\nS: 1\n\nFrom b Thu Apr 29 23:34:45 2015\nS: 2\n",
        )
        .unwrap();
        let got = read_paths(&[md.clone(), mbox]).unwrap();
        let names: Vec<&str> = got
            .iter()
            .map(|(n, _)| n.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(names, ["1", "2:2,S", "box#1", "box#2"]);
        assert_eq!(read_maildir(&md).unwrap().len(), 2);
    }
}
