//! Errors of the library, each with the category that decides requeueing and the condition reason.

use thiserror::Error;

/// What an error means for the reconciler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCategory {
    /// Retry with backoff: the cluster or network may recover by itself.
    Transient,
    /// The user's spec or referenced objects are wrong: report `Degraded` and wait for a change.
    User,
    /// The operator itself is wrong: report and alert.
    Bug,
}

/// A Marketplace that cannot be turned into objects.
#[derive(Debug, Error, PartialEq)]
pub enum BuildError {
    /// A metadata field the owned objects need is not set.
    #[error("the Marketplace has no metadata.{0}")]
    MissingMetadata(&'static str),
    /// The name does not fit the owned objects' names and labels.
    #[error("Marketplace name {0:?} must be a DNS label of at most {max} characters starting with a letter", max = ogf_crds::marketplace::MAX_NAME_LEN)]
    InvalidName(String),
    /// `spec.database` sets none or both stores.
    #[error("spec.database must set exactly one of embedded or mongodb")]
    DatabaseNotExactlyOne,
}

impl BuildError {
    /// How the reconciler treats this error.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::MissingMetadata(_) => ErrorCategory::Bug,
            Self::InvalidName(_) | Self::DatabaseNotExactlyOne => ErrorCategory::User,
        }
    }

    /// The CamelCase reason of the `Degraded` condition this error sets.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingMetadata(_) => "MissingMetadata",
            Self::InvalidName(_) => "InvalidName",
            Self::DatabaseNotExactlyOne => "InvalidDatabase",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_reasons() {
        assert_eq!(
            BuildError::MissingMetadata("uid").category(),
            ErrorCategory::Bug
        );
        assert_eq!(
            BuildError::DatabaseNotExactlyOne.category(),
            ErrorCategory::User
        );
        assert_eq!(BuildError::InvalidName("x".into()).reason(), "InvalidName");
        assert_eq!(
            BuildError::MissingMetadata("uid").to_string(),
            "the Marketplace has no metadata.uid"
        );
    }
}
