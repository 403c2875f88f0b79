//! The OGF end-to-end harness: finds the real services a test needs (the
//! Kubernetes API server, a MongoDB wire-protocol server, an S3 server), gives
//! each test an isolated namespace / database / key prefix, and waits on
//! conditions with bounded timeouts instead of sleeping.
//!
//! Services come from the test environment (`e2e/testenv/testenv.sh up`, whose
//! env file `make test` sources) or, for Kubernetes, from an existing cluster
//! named by `OGF_E2E_KUBECONFIG` (e.g. kind in GitHub CI).
//!
//! A test that finds a service missing is skipped with a message, except when
//! `CI=true`: there a missing service is a failure.

pub mod env;
pub mod fixtures;
pub mod job_runner;
pub mod namespace;
pub mod operator;
pub mod wait;

pub use env::{MongoEnv, S3Env, kube_client, mongo, s3};
pub use job_runner::{JobRunner, RunnerOptions};
pub use namespace::TestNamespace;
pub use operator::{Operator, install_crds};
pub use wait::{WaitError, json_condition, wait_for, wait_until};
