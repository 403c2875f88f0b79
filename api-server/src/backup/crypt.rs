//! age encryption: X25519 recipients (public keys) for backups, identities (secret keys) for
//! restores. The backup side only ever parses public keys.

use std::io::{self, BufRead, Read, Write};
use std::path::Path;
use std::str::FromStr;

use age::x25519;

use super::BackupError;

/// Parses `age1...` recipients from flags and from a recipients file (one per line, `#`
/// comments, blank lines ignored). At least one is required; duplicates are removed.
pub fn recipients(
    flags: &[String],
    file: Option<&Path>,
) -> Result<Vec<x25519::Recipient>, BackupError> {
    let mut lines: Vec<(String, String)> = flags
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("--recipient #{}", i + 1), r.trim().to_owned()))
        .collect();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            BackupError::Usage(format!(
                "reading recipients file {}: {}",
                path.display(),
                e.kind()
            ))
        })?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                lines.push((
                    format!("{} line {}", path.display(), n + 1),
                    line.to_owned(),
                ));
            }
        }
    }
    let mut out: Vec<x25519::Recipient> = Vec::new();
    for (where_, text) in lines {
        if text.starts_with("AGE-SECRET-KEY-") {
            return Err(BackupError::Usage(format!(
                "{where_}: this is a secret key (identity), not a recipient; pass its public \
                 key (age1...) instead, the backup never needs a secret key"
            )));
        }
        let r = x25519::Recipient::from_str(&text).map_err(|_| {
            BackupError::Usage(format!(
                "{where_}: not an age X25519 recipient (expected age1...)"
            ))
        })?;
        if !out.iter().any(|o| o.to_string() == r.to_string()) {
            out.push(r);
        }
    }
    if out.is_empty() {
        return Err(BackupError::Usage(
            "at least one recipient is required (--recipient age1... or --recipients-file)".into(),
        ));
    }
    Ok(out)
}

/// Reads age X25519 identities (`AGE-SECRET-KEY-1...`, `#` comments) from a file, as written by
/// `age-keygen` or `ogf-api backup keygen`. The content is never echoed in errors.
pub fn identities(path: &Path) -> Result<Vec<x25519::Identity>, BackupError> {
    let file = std::fs::File::open(path).map_err(|e| {
        BackupError::Usage(format!(
            "reading identity file {}: {}",
            path.display(),
            e.kind()
        ))
    })?;
    let mut out = Vec::new();
    for (n, line) in io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| {
            BackupError::Usage(format!(
                "reading identity file {}: {}",
                path.display(),
                e.kind()
            ))
        })?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let id = x25519::Identity::from_str(line).map_err(|_| {
            BackupError::Usage(format!(
                "identity file {} line {}: not an age X25519 identity (expected \
                 AGE-SECRET-KEY-1...)",
                path.display(),
                n + 1
            ))
        })?;
        out.push(id);
    }
    if out.is_empty() {
        return Err(BackupError::Usage(format!(
            "identity file {} holds no identity",
            path.display()
        )));
    }
    Ok(out)
}

/// Wraps `out` in an age encryptor to `recipients`; call `finish` on the result.
pub fn encrypt<W: Write>(
    recipients: &[x25519::Recipient],
    out: W,
) -> Result<age::stream::StreamWriter<W>, BackupError> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| BackupError::Usage(format!("age recipients: {e}")))?;
    encryptor
        .wrap_output(out)
        .map_err(|e| BackupError::Destination(format!("writing the artifact: {e}")))
}

/// Reads the age header from `input` and returns the plaintext reader.
pub fn decrypt<R: BufRead>(
    identities: &[x25519::Identity],
    input: R,
) -> Result<age::stream::StreamReader<R>, BackupError> {
    let decryptor = age::Decryptor::new_buffered(input).map_err(map_decrypt)?;
    decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(map_decrypt)
}

fn map_decrypt(e: age::DecryptError) -> BackupError {
    match e {
        age::DecryptError::NoMatchingKeys => BackupError::Decryption(
            "wrong key: the identity matches none of the artifact's recipients".into(),
        ),
        age::DecryptError::Io(io) => super::archive::io_err(io),
        other => BackupError::Integrity(format!(
            "artifact is corrupt or was tampered with (age: {other})"
        )),
    }
}

/// A new identity and its recipient line, for `ogf-api backup keygen`.
pub fn generate() -> (String, String) {
    use age::secrecy::ExposeSecret;
    let id = x25519::Identity::generate();
    let public = id.to_public().to_string();
    let secret = id.to_string().expose_secret().to_owned();
    (secret, public)
}

/// Drains `r` to its end (used to finish the artifact checksum after a failure).
pub fn drain<R: Read>(mut r: R) -> io::Result<u64> {
    io::copy(&mut r, &mut io::sink())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags_and_files_with_comments_and_dedups() {
        let (_, a) = generate();
        let (_, b) = generate();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.txt");
        std::fs::write(&file, format!("# escrow\n\n{b}\n  {a}  \n")).unwrap();
        let rs = recipients(std::slice::from_ref(&a), Some(&file)).unwrap();
        assert_eq!(rs.len(), 2);
    }

    #[test]
    fn refuses_missing_malformed_and_secret_keys() {
        assert_eq!(recipients(&[], None).unwrap_err().exit_code(), 2);
        assert_eq!(
            recipients(&["age1nope".into()], None)
                .unwrap_err()
                .exit_code(),
            2
        );
        let (secret, _) = generate();
        let e = recipients(std::slice::from_ref(&secret), None).unwrap_err();
        assert!(e.to_string().contains("secret key"), "{e}");
        assert!(!e.to_string().contains(&secret), "must not echo the key");
    }

    #[test]
    fn encrypts_and_decrypts_and_names_the_wrong_key() {
        let (secret, public) = generate();
        let dir = tempfile::tempdir().unwrap();
        let idf = dir.path().join("id.txt");
        std::fs::write(&idf, format!("# created: now\n{secret}\n")).unwrap();
        let ids = identities(&idf).unwrap();
        let rs = recipients(&[public], None).unwrap();
        let mut w = encrypt(&rs, Vec::new()).unwrap();
        w.write_all(b"hello").unwrap();
        let ct = w.finish().unwrap();
        let mut pt = String::new();
        decrypt(&ids, &ct[..])
            .unwrap()
            .read_to_string(&mut pt)
            .unwrap();
        assert_eq!(pt, "hello");
        let other = vec![x25519::Identity::generate()];
        let Err(e) = decrypt(&other, &ct[..]) else {
            panic!("decrypted with the wrong key")
        };
        assert_eq!(e.exit_code(), 4, "{e}");
    }

    #[test]
    fn malformed_identity_file_is_a_usage_error_without_echo() {
        let dir = tempfile::tempdir().unwrap();
        let idf = dir.path().join("id.txt");
        std::fs::write(&idf, "AGE-SECRET-KEY-1NOTAKEY\n").unwrap();
        let Err(e) = identities(&idf) else {
            panic!("parsed a malformed identity")
        };
        assert_eq!(e.exit_code(), 2);
        assert!(!e.to_string().contains("NOTAKEY"));
        let Err(e) = identities(&dir.path().join("missing")) else {
            panic!("read a missing file")
        };
        assert_eq!(e.exit_code(), 2);
    }
}
