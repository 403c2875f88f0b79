//! Artifact ids: `YYYYMMDDTHHMMSSZ-xxxxxx` generated from the UTC time, or a name given with
//! `--id` (the operator passes the Job name).

use chrono::{DateTime, Utc};
use rand::Rng;

use super::BackupError;

/// A generated id for a backup started at `now`.
pub fn generate(now: DateTime<Utc>) -> String {
    let suffix: u32 = rand::rng().random_range(0..0x100_0000);
    format!("{}-{suffix:06x}", now.format("%Y%m%dT%H%M%SZ"))
}

/// Accepts `^[a-z0-9][a-z0-9-]{0,62}$` or `^\d{8}T\d{6}Z-[0-9a-f]{6}$`.
pub fn validate(id: &str) -> Result<(), BackupError> {
    if is_name(id) || is_generated(id) {
        Ok(())
    } else {
        Err(BackupError::Usage(format!(
            "invalid artifact id {:?}: use lowercase letters, digits and '-' (at most 63, \
             starting with a letter or digit) or the generated form YYYYMMDDTHHMMSSZ-xxxxxx",
            truncate(id)
        )))
    }
}

fn truncate(id: &str) -> String {
    id.chars().take(80).collect()
}

fn is_name(id: &str) -> bool {
    let b = id.as_bytes();
    let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty() && b.len() <= 63 && ok(&b[0]) && b[1..].iter().all(|c| ok(c) || *c == b'-')
}

fn is_generated(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 23
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z'
        && b[16] == b'-'
        && b[17..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn generated_ids_are_valid_and_sort_by_time() {
        let a = generate(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap());
        let b = generate(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 6).unwrap());
        assert!(a.starts_with("20260102T030405Z-"), "{a}");
        assert!(is_generated(&a), "{a}");
        validate(&a).unwrap();
        assert!(a < b);
    }

    #[test]
    fn accepts_job_names_and_generated_ids() {
        for ok in [
            "a",
            "0",
            "nightly-29384756",
            "20260102T030405Z-0a1b2c",
            &"a".repeat(63),
        ] {
            validate(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "-a",
            "A",
            "a_b",
            "a/b",
            "../x",
            "a.json",
            "20260102T030405Z-0A1B2C",
            "20260102T030405Z-0a1b2",
            &"a".repeat(64),
            "a b",
            "é",
        ] {
            let e = validate(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
    }
}
