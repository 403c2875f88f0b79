//! Password hashing: argon2id with the OWASP parameters (m = 19456 KiB, t = 2, p = 1), run on
//! a few dedicated threads ([`HashPool`]), never on the async workers.
//!
//! Why not tokio's blocking pool: every hash needs 19 MiB, and with hashes spread over the
//! blocking pool's many threads the 10-minute soak grew the server (glibc build) to about
//! 1 GB; on one thread per core it levelled off at half that (docs/benchmarks.md, API soak,
//! which also says what is left). The bounded queue keeps a flood of logins from taking every
//! core from the database calls that share the blocking pool.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{mpsc, oneshot};

use super::AuthError;

/// Memory cost, KiB (OWASP Password Storage Cheat Sheet).
pub const M_COST_KIB: u32 = 19_456;
/// Iterations.
pub const T_COST: u32 = 2;
/// Parallelism.
pub const P_COST: u32 = 1;

fn argon2() -> Result<Argon2<'static>, AuthError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None)
        .map_err(|e| AuthError::Hashing(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Most hashing threads.
const MAX_THREADS: usize = 4;
/// Hashes waiting for a thread; more wait (asynchronously) to be queued.
const QUEUE: usize = 256;

type Job = Box<dyn FnOnce() + Send>;

/// The threads that run argon2, fed through a bounded queue.
#[derive(Debug)]
struct HashPool {
    jobs: mpsc::Sender<Job>,
}

impl HashPool {
    /// One thread per core, at most [`MAX_THREADS`].
    fn start() -> Self {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(MAX_THREADS);
        let (jobs, queue) = mpsc::channel::<Job>(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("ogf-argon2-{i}"))
                .spawn(move || {
                    loop {
                        let next = queue
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .blocking_recv();
                        let Some(job) = next else { return };
                        // A panicking hash answers nothing (its caller gets an error); the
                        // thread stays.
                        let _ = catch_unwind(AssertUnwindSafe(job));
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        Self { jobs }
    }

    /// Runs `work` on a hashing thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = reply.send(work());
            }))
            .await
            .map_err(|_| AuthError::Hashing("no password-hashing thread is running".into()))?;
        answer
            .await
            .map_err(|_| AuthError::Hashing("the password hash failed".into()))
    }
}

fn pool() -> &'static HashPool {
    static POOL: OnceLock<HashPool> = OnceLock::new();
    POOL.get_or_init(HashPool::start)
}

/// Hashes `password` with a random salt into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash(password: String) -> Result<String, AuthError> {
    pool().run(move || hash_blocking(&password)).await?
}

fn hash_blocking(password: &str) -> Result<String, AuthError> {
    argon2()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(format!("hashing: {e}")))
}

/// Whether `password` matches the PHC string `hash` (parameters are read from the hash).
/// A malformed hash counts as a mismatch and is logged.
pub async fn verify(password: String, hash: String) -> Result<bool, AuthError> {
    pool()
        .run(
            move || match argon2()?.verify_password(password.as_bytes(), hash.as_str()) {
                Ok(()) => Ok(true),
                Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
                Err(e) => {
                    tracing::error!(error = %e, "stored password hash cannot be verified");
                    Ok(false)
                }
            },
        )
        .await?
}

/// A valid hash of a random password, computed once: verifying against it when the e-mail is
/// unknown makes that answer take as long as a wrong password (no user enumeration by timing).
pub async fn decoy_hash() -> Result<String, AuthError> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DECOY.get() {
        return Ok(h.clone());
    }
    let h = hash(super::token::random_token()).await?;
    Ok(DECOY.get_or_init(|| h).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_owasp_argon2id_and_verifies() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(!h.contains("correct horse"));
        assert!(
            verify("correct horse battery".into(), h.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify("correct horse batterY".into(), h.clone())
                .await
                .unwrap()
        );
        let again = hash("correct horse battery".into()).await.unwrap();
        assert_ne!(h, again, "random salt");
        assert!(!verify("x".into(), "not a hash".into()).await.unwrap());
    }

    #[test]
    fn hashes_run_on_the_dedicated_threads_only() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let names = runtime.block_on(async {
            let many = (0..16)
                .map(|_| pool().run(|| std::thread::current().name().unwrap_or("").to_owned()));
            futures::future::join_all(many).await
        });
        let limit = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(MAX_THREADS);
        let mut distinct: Vec<String> = names.into_iter().map(Result::unwrap).collect();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() <= limit, "{distinct:?}");
        assert!(
            distinct.iter().all(|n| n.starts_with("ogf-argon2-")),
            "{distinct:?}"
        );
    }
}
