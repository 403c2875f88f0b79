//! Display of connection strings without credentials.

/// `uri` with any `user:password@` replaced by `***@`, and without the query string
/// (which may carry credentials such as `authMechanismProperties`).
pub fn redacted_uri(uri: &str) -> String {
    let (scheme, rest) = match uri.split_once("://") {
        Some((s, r)) => (s, r),
        None => return "<invalid URI>".to_owned(),
    };
    let rest = rest.split('?').next().unwrap_or_default();
    // The last '@' ends the credentials even when a password holds '/' or '@' unencoded;
    // cutting at a later '@' would hide more, never less.
    match rest.rfind('@') {
        Some(i) => format!("{scheme}://***@{}", &rest[i + 1..]),
        None => format!("{scheme}://{rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_credentials_and_options() {
        assert_eq!(
            redacted_uri("mongodb://app:s3cr%40t@db-0:27017,db-1/ogf?authSource=admin&tls=true"),
            "mongodb://***@db-0:27017,db-1/ogf"
        );
        assert_eq!(
            redacted_uri("mongodb://127.0.0.1:27999/"),
            "mongodb://127.0.0.1:27999/"
        );
        assert_eq!(
            redacted_uri("mongodb+srv://u:p@cluster.example"),
            "mongodb+srv://***@cluster.example"
        );
        assert_eq!(
            redacted_uri("mongodb://u:pa/ss@host/db"),
            "mongodb://***@host/db"
        );
        assert_eq!(redacted_uri("user:pass@host"), "<invalid URI>");
    }
}
