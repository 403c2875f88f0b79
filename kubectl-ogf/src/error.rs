//! The plugin's errors and the exit code each one maps to.

use std::process::ExitCode;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: the cluster could not be reached or answered with an error, or the operation was
/// refused (e.g. promoting a finished Rollout, a watched Rollout that ended unsuccessfully).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: wrong usage (unknown flag, missing argument); clap exits with it.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the named Marketplace, Rollout, Backup or artifact does not exist.
pub const EXIT_NOT_FOUND: u8 = 3;

/// The exit codes, as shown at the end of `--help`.
pub const EXIT_CODES_HELP: &str = "Exit codes:
  0  success
  1  failure talking to the cluster, or the operation was refused or did not succeed
  2  usage error (unknown flag, missing argument)
  3  not found (no such Marketplace, Rollout, Backup or artifact)";

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A named object (or an artifact of a Backup) does not exist.
    #[error("{kind} \"{name}\" not found in namespace \"{namespace}\"")]
    NotFound {
        /// What was looked for, e.g. `Marketplace`.
        kind: String,
        /// Its name.
        name: String,
        /// The namespace searched.
        namespace: String,
    },
    /// The operation makes no sense in the object's current state; the message says why and
    /// what to do instead.
    #[error("{0}")]
    Refused(String),
    /// The operation was carried out but did not succeed (a watched Rollout rolled back, a
    /// watch timed out).
    #[error("{0}")]
    Unsuccessful(String),
    /// No usable kubeconfig or in-cluster configuration.
    #[error("cannot load the Kubernetes client configuration: {0}")]
    Config(String),
    /// The API server refused a request or could not be reached.
    #[error("{action}: {}", describe_kube_error(.source))]
    Kube {
        /// What was being done, e.g. `get Marketplace "shop"`.
        action: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
    /// An object could not be written as JSON.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::NotFound { .. } => EXIT_NOT_FOUND,
            _ => EXIT_FAILURE,
        }
    }

    /// The process exit code for this error, as [`ExitCode`].
    pub fn to_exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit_code())
    }

    /// A `map_err` adapter for API calls: wraps the client error with what was being done.
    pub fn kube(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Self {
        let action = action.into();
        move |source| Self::Kube { action, source }
    }
}

/// A one-line description of a client error: the API server's message and reason when it
/// answered, the transport error otherwise.
fn describe_kube_error(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) if !status.message.is_empty() => {
            let reason = if status.reason.is_empty() {
                String::new()
            } else {
                format!("{}, ", status.reason)
            };
            format!("{} ({reason}HTTP {})", status.message, status.code)
        }
        other => other.to_string(),
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_exits_3_everything_else_1() {
        let not_found = Error::NotFound {
            kind: "Marketplace".into(),
            name: "shop".into(),
            namespace: "ogf".into(),
        };
        assert_eq!(not_found.exit_code(), EXIT_NOT_FOUND);
        assert_eq!(
            not_found.to_string(),
            "Marketplace \"shop\" not found in namespace \"ogf\""
        );
        assert_eq!(Error::Refused("no".into()).exit_code(), EXIT_FAILURE);
        assert_eq!(Error::Unsuccessful("no".into()).exit_code(), EXIT_FAILURE);
        assert_eq!(Error::Config("no".into()).exit_code(), EXIT_FAILURE);
        assert_ne!(EXIT_USAGE, EXIT_FAILURE);
        assert_eq!(EXIT_OK, 0);
    }

    #[test]
    fn api_errors_read_as_one_line() {
        let status =
            kube::core::Status::failure("rollouts.ogf.dev \"x\" is forbidden", "Forbidden")
                .with_code(403);
        let error = Error::kube("patch Rollout \"x\"")(kube::Error::Api(Box::new(status)));
        assert_eq!(
            error.to_string(),
            "patch Rollout \"x\": rollouts.ogf.dev \"x\" is forbidden (Forbidden, HTTP 403)"
        );
    }
}
