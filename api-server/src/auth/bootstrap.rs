//! First run: when the store has no admin, create one.

use std::fmt;

use super::token::random_token;
use super::{AuthError, password};
use crate::clock::Clock;
use crate::domain::{Email, Role, User, check_password_policy, new_id};
use crate::store::{Store, StoreError};

/// Default e-mail of the first admin.
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@ogf.local";

/// What [`ensure_admin`] did.
#[derive(Clone, PartialEq, Eq)]
pub enum AdminBootstrap {
    /// An admin exists already (or another replica created one concurrently).
    Exists,
    /// An admin was created with the configured password.
    Created {
        /// Its e-mail.
        email: Email,
    },
    /// An admin was created with a generated password, to be shown once.
    CreatedWithPassword {
        /// Its e-mail.
        email: Email,
        /// The generated password.
        password: String,
    },
}

impl fmt::Debug for AdminBootstrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exists => f.write_str("Exists"),
            Self::Created { email } => f.debug_struct("Created").field("email", email).finish(),
            Self::CreatedWithPassword { email, .. } => f
                .debug_struct("CreatedWithPassword")
                .field("email", email)
                .finish_non_exhaustive(),
        }
    }
}

/// Creates the admin `email` when no admin exists, with `password` or a generated one.
pub async fn ensure_admin(
    store: &dyn Store,
    clock: &dyn Clock,
    email: &str,
    password: Option<String>,
) -> Result<AdminBootstrap, AuthError> {
    if store.has_admin().await? {
        return Ok(AdminBootstrap::Exists);
    }
    let email = Email::parse(email)?;
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => {
            check_password_policy(&p)?;
            (p, false)
        }
        None => (random_token(), true),
    };
    let user = User {
        id: new_id(),
        email: email.clone(),
        password_hash: password::hash(password.clone()).await?,
        role: Role::Admin,
        locked: false,
        created_at: clock.now(),
    };
    match store.create_user(&user).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) if store.has_admin().await? => {
            return Ok(AdminBootstrap::Exists);
        }
        Err(StoreError::Conflict(_)) => {
            return Err(AuthError::Internal(format!(
                "cannot create the first admin: {email} is registered already as a non-admin \
                 account; set OGF_ADMIN_EMAIL to another address"
            )));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(%email, "created the first admin account");
    Ok(if generated {
        AdminBootstrap::CreatedWithPassword { email, password }
    } else {
        AdminBootstrap::Created { email }
    })
}
