use std::net::{IpAddr, SocketAddr};

use super::*;

fn defaults() -> CheckTargets {
    CheckTargets::default().with_api_server(Some("10.96.0.1".parse().unwrap()))
}

fn refused(targets: &CheckTargets, url: &str) -> String {
    match targets.check_url(url) {
        Err(e) => e.to_string(),
        Ok(u) => panic!("{url} was allowed as {u}"),
    }
}

#[test]
fn cluster_services_are_allowed_by_default() {
    let targets = defaults();
    for url in [
        "http://shop-preview.shop.svc:8080/readyz",
        "https://prometheus.monitoring.svc.cluster.local:9090",
        "http://SHOP-PREVIEW.SHOP.SVC./readyz",
    ] {
        assert!(targets.check_url(url).is_ok(), "{url}");
    }
}

#[test]
fn everything_else_is_refused_by_default() {
    let targets = defaults();
    for (url, why) in [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://127.0.0.1:8081/metrics", "loopback"),
        ("http://[::1]:8081/metrics", "loopback"),
        ("http://0.0.0.0:8081/", "unspecified"),
        ("http://10.1.2.3/", "not on the allow-list"),
        ("http://10.96.0.1/", "API server"),
        ("http://localhost:8081/", "loopback"),
        ("http://kubernetes.default.svc/api", "API server"),
        ("http://example.com/", "not on the allow-list"),
        ("http://svc/", "not on the allow-list"),
        ("http://evil.svc.example.com/", "not on the allow-list"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://shop.shop.svc/", "only http and https"),
        ("http://user:pw@shop.shop.svc/", "credentials"),
        ("not a url", "not a URL"),
    ] {
        let message = refused(&targets, url);
        assert!(message.contains(why), "{url}: {message}");
    }
}

#[test]
fn ip_and_cidr_entries_allow_what_they_name_even_loopback() {
    let targets = CheckTargets::parse(["127.0.0.1", "10.0.0.0/8", "prometheus.example.com"])
        .unwrap()
        .with_api_server(None);
    assert!(targets.check_url("http://127.0.0.1:9090/").is_ok());
    assert!(targets.check_url("http://10.200.0.7/").is_ok());
    assert!(targets.check_url("http://prometheus.example.com/").is_ok());
    assert!(refused(&targets, "http://127.0.0.2/").contains("loopback"));
    assert!(refused(&targets, "http://169.254.169.254/").contains("link-local"));
    // An explicit list replaces the defaults.
    assert!(refused(&targets, "http://shop.shop.svc/").contains("allow-list"));
}

#[test]
fn names_resolving_to_denied_addresses_are_refused() {
    let targets = defaults();
    let at = |ip: &str| vec![SocketAddr::new(ip.parse::<IpAddr>().unwrap(), 0)];
    assert!(resolver::allowed(&targets, "shop.shop.svc", at("10.1.2.3")).is_ok());
    for (ip, why) in [
        ("169.254.169.254", "link-local"),
        ("127.0.0.1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.96.0.1", "API server"),
    ] {
        let e = resolver::allowed(&targets, "rebound.shop.svc", at(ip)).unwrap_err();
        assert!(e.to_string().contains(why), "{ip}: {e}");
    }
    // One bad address among good ones is enough to refuse.
    let mut mixed = at("10.1.2.3");
    mixed.extend(at("169.254.169.254"));
    assert!(resolver::allowed(&targets, "mixed.shop.svc", mixed).is_err());
    assert!(resolver::allowed(&targets, "nothing.shop.svc", vec![]).is_err());
}

#[test]
fn invalid_entries_are_reported() {
    for entry in ["*.", "exa mple.com", "10.0.0.0/33", "*.*.svc", "http://x"] {
        assert_eq!(
            CheckTargets::parse([entry]),
            Err(InvalidEntry(entry.to_string())),
            "{entry}"
        );
    }
    assert_eq!(
        CheckTargets::parse(Vec::<String>::new())
            .unwrap()
            .to_string(),
        "*.svc,*.svc.cluster.local"
    );
    assert_eq!(
        CheckTargets::parse([" 10.0.0.1/8 ", "", "Host.Example"])
            .unwrap()
            .to_string(),
        "10.0.0.0/8,host.example"
    );
}

#[tokio::test]
async fn the_resolver_refuses_localhost() {
    use reqwest::dns::Resolve;
    let resolver = GuardedResolver::new(std::sync::Arc::new(defaults()));
    let name: reqwest::dns::Name = "localhost".parse().unwrap();
    let error = match resolver.resolve(name).await {
        Err(e) => e.to_string(),
        Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
    };
    assert!(error.contains("loopback"), "{error}");
}
