//! Authentication and authorization end to end over HTTP (`oneshot`), on both stores.
// clippy.toml's allow-unwrap-in-tests covers #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "http_auth/admin.rs"]
mod admin;
#[path = "http_auth/flows.rs"]
mod flows;
#[path = "http_auth/session_cache.rs"]
mod session_cache;

use support::app::TestApp;

macro_rules! on_both_stores {
    ($($module:ident :: $case:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _dir) = crate::support::backends::embedded().await;
                    crate::$module::$case(crate::TestApp::new(store, |_| {}).await).await;
                }
            )+
        }
        mod mongodb {
            $(
                #[tokio::test]
                async fn $case() {
                    crate::support::backends::run_on_mongodb(|store| async move {
                        let app = crate::TestApp::new(std::sync::Arc::new(store), |_| {}).await;
                        crate::$module::$case(app).await;
                    })
                    .await;
                }
            )+
        }
    };
}

on_both_stores!(
    flows::register_login_and_own_account,
    flows::refresh_rotates_and_reuse_revokes_the_family,
    flows::logout_takes_effect_on_the_next_request,
    flows::lockout_answers_like_a_wrong_password,
    flows::missing_invalid_and_expired_tokens_are_401,
    flows::injection_attempts_are_rejected_or_literal,
    admin::roles_401_vs_403,
    admin::admin_revoke_takes_effect_on_the_next_request,
    admin::admin_manages_users,
    admin::audit_log_is_filtered_and_paginated,
    session_cache::cached_session_is_invalidated_by_logout,
    session_cache::cached_session_is_invalidated_by_lock,
    session_cache::cached_session_is_invalidated_by_role_change,
    session_cache::cached_session_is_invalidated_by_admin_revoke,
    session_cache::cached_session_is_invalidated_by_rotation_and_reuse,
    session_cache::own_account_changes_show_at_once,
    session_cache::cached_token_is_refused_once_expired,
    session_cache::altered_token_is_verified_not_served_from_cache,
);

/// Settings with the session cache off.
fn no_session_cache(s: &mut ogf_api::settings::Settings) {
    s.session_cache_ttl = std::time::Duration::ZERO;
}

#[tokio::test]
async fn embedded_zero_ttl_disables_the_session_cache() {
    let (store, _dir) = support::backends::embedded().await;
    session_cache::zero_ttl_disables_the_cache(TestApp::new(store, no_session_cache).await).await;
}

#[tokio::test]
async fn mongodb_zero_ttl_disables_the_session_cache() {
    support::backends::run_on_mongodb(|store| async move {
        let app = TestApp::new(std::sync::Arc::new(store), no_session_cache).await;
        session_cache::zero_ttl_disables_the_cache(app).await;
    })
    .await;
}
