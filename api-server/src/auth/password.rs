//! Password hashing: argon2id with the OWASP parameters (m = 19456 KiB, t = 2, p = 1), run on
//! a few dedicated threads ([`HashPool`]), never on the async workers.
//!
//! Each hashing thread allocates argon2's 19 MiB of working memory once and reuses it for
//! every hash ([`with_memory`]). Allocating it per hash (spread over tokio's blocking pool,
//! then on the dedicated threads) grew the 10-minute soak's server (glibc build) to 1 GB, then
//! to 486 MiB, in 19 MiB steps: glibc kept the freed blocks in fragmented heaps
//! (docs/benchmarks.md, API soak). The bounded queue keeps a flood of logins from taking every
//! core from the database calls that share the blocking pool.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{mpsc, oneshot};

use super::AuthError;

/// Memory cost, KiB (OWASP Password Storage Cheat Sheet).
pub const M_COST_KIB: u32 = 19_456;
/// Iterations.
pub const T_COST: u32 = 2;
/// Parallelism.
pub const P_COST: u32 = 1;

fn params() -> Result<Params, AuthError> {
    Params::new(M_COST_KIB, T_COST, P_COST, None)
        .map_err(|e| AuthError::Hashing(format!("argon2 parameters: {e}")))
}

thread_local! {
    /// This thread's argon2 working memory, kept between hashes.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `hash` with this thread's working memory, grown to `blocks` first.
fn with_memory<T>(blocks: usize, hash: impl FnOnce(&mut [Block]) -> T) -> T {
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        hash(&mut memory[..blocks])
    })
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
    let failed = |e: &dyn std::fmt::Display| AuthError::Hashing(format!("hashing: {e}"));
    let params = params()?;
    let salt = argon2::password_hash::try_generate_salt().map_err(|e| failed(&e))?;
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    with_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, memory)
    })
    .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| failed(&e))?),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `hash` (parameters are read from the hash).
/// A malformed hash counts as a mismatch and is logged.
pub async fn verify(password: String, hash: String) -> Result<bool, AuthError> {
    pool()
        .run(move || match verify_blocking(&password, &hash) {
            Ok(matches) => matches,
            Err(e) => {
                tracing::error!(error = %e, "stored password hash cannot be verified");
                false
            }
        })
        .await
}

/// Recomputes the hash with the stored salt and parameters; compares in constant time.
fn verify_blocking(password: &str, hash: &str) -> Result<bool, String> {
    let stored = PasswordHash::new(hash).map_err(|e| e.to_string())?;
    let algorithm = Algorithm::try_from(stored.algorithm.as_str()).map_err(|e| e.to_string())?;
    let version = match stored.version {
        Some(v) => Version::try_from(v).map_err(|e| e.to_string())?,
        None => Version::default(),
    };
    let params = Params::try_from(&stored).map_err(|e| e.to_string())?;
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return Err("the hash has no salt or no output".into());
    };
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    with_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
    })
    .map_err(|e| e.to_string())?;
    Ok(Output::new(&out).map_err(|e| e.to_string())? == *expected)
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

    #[tokio::test]
    async fn verifies_hashes_made_by_the_argon2_crate_itself() {
        use argon2::PasswordHasher;
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, params().unwrap())
            .hash_password(b"pump jack 42")
            .unwrap()
            .to_string();
        assert!(
            verify("pump jack 42".into(), reference.clone())
                .await
                .unwrap()
        );
        assert!(!verify("pump jack 43".into(), reference).await.unwrap());
        // Other parameters (a hash stored by an older configuration) verify too.
        let lighter = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8_192, 1, 1, None).unwrap(),
        )
        .hash_password(b"pump jack 42")
        .unwrap()
        .to_string();
        assert!(verify("pump jack 42".into(), lighter).await.unwrap());
    }

    #[test]
    fn our_hashes_verify_with_the_argon2_crate() {
        use argon2::PasswordVerifier;
        let h = hash_blocking("pump jack 42").unwrap();
        let parsed = PasswordHash::new(&h).unwrap();
        let argon2 = Argon2::default();
        assert!(argon2.verify_password(b"pump jack 42", &parsed).is_ok());
        assert!(argon2.verify_password(b"pump jack 41", &parsed).is_err());
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
