//! docs/operator.md, followed literally: every ```sh block of the page runs, in document
//! order, in a fresh `bash -euo pipefail` against the test environment, as a newcomer pasting
//! it would run it (state passes between blocks through files and the cluster, as the page
//! intends; each block must work on its own). A block that exits non-zero fails the test with
//! the block, its output and what the cluster says.
//!
//! The commands are never edited. What the test environment lacks is supplied around them
//! (`docs_operator/world.rs`):
//! - the reader: a working directory with the checkout's `charts/` and `examples/`; `PATH` with
//!   the test environment's kubectl and helm, the workspace's `ogf-api`, `ogf-operator` and
//!   `kubectl-ogf` (so `kubectl ogf` works), and a `cargo` that runs those binaries for
//!   `cargo run -p PACKAGE --` (a cargo inside `cargo test` would wait on its build lock);
//!   `S3_ENDPOINT`, `S3_BUCKET`, `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY` pointing at MinIO;
//! - the files the page tells the reader to write (a ```yaml block whose first line names the
//!   file, e.g. `# ogf-values.yaml`), written into that directory;
//! - a storage provisioner: a volume pre-bound to the Marketplace's claim;
//! - kubelets: kwok runs no containers, so right after the `helm install` block the operator
//!   runs in this process **as the chart's ServiceAccount** (its RBAC is what is exercised),
//!   holding the chart's leader Lease and watching `ogf-demo`; the Job runner runs the backup,
//!   prune and restore Job pods with the real `ogf-api`, the claim mapped to a local directory
//!   holding a real embedded store with demo listings.
//!
//! Blocks that cannot run here are listed in [`NOT_RUN`] with the reason and where that path
//! is tested instead; each entry must match exactly one block, so a changed page fails here
//! until this list follows. Every other block runs, new ones included.
//!
//! The page uses fixed names (release `ogf-operator`, namespaces `ogf-system` and `ogf-demo`,
//! volume `ogf-demo-data`, S3 prefix `ogf-demo/`) that no other test uses; they are removed
//! before the run (after a crash) and after it, also when it fails. Runs on the test
//! environment only: on an existing cluster (`OGF_E2E_KUBECONFIG`) the page's real operator
//! and API images would run instead of this harness.

#[path = "docs_operator/doc.rs"]
mod doc;
#[path = "docs_operator/world.rs"]
mod world;

use std::process::Stdio;
use std::time::Duration;

use ogf_e2e::{Operator, env};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use doc::Block;
use world::World;

const PAGE: &str = include_str!("../../docs/operator.md");

/// Blocks that do not run here: a fragment only that block contains, and why (where the path
/// is tested instead).
const NOT_RUN: &[(&str, &str)] = &[
    (
        "port-forward svc/ogf-demo",
        "kwok runs no containers: no API process listens behind the Service, and port-forward \
         needs a kubelet. The API's HTTP behaviour (listings, search, demo data) is tested in \
         api-server/tests/ against the real app and stores.",
    ),
    (
        "--install ogf-operator charts/ogf-operator -n ogf-system -f ogf-values.yaml",
        "needs the Prometheus Operator's CRDs (ServiceMonitor, PrometheusRule), which the test \
         environment must not install (they would change what every other test's operator \
         discovers), and the namespaces marketplace-prod/-staging. The chart with monitoring \
         and namespaced values is linted, rendered and server-side dry-run in \
         e2e/tests/chart.rs (rendered_manifests_pass_a_server_side_dry_run); namespaced mode \
         is installed and run in namespaced_mode_rbac_is_sufficient_and_stays_in_its_namespaces.",
    ),
    (
        "docker run",
        "needs a container runtime and the published image. The same `render` runs from the \
         workspace binary in the block before; the image's Dockerfile is checked in \
         e2e/tests/chart.rs (dockerfiles_pass_hadolint_and_ship_the_release_binaries).",
    ),
];

/// The block starting the operator outside the cluster: it runs until stopped, so it runs in
/// the background until its `/readyz` answers 200, and is then stopped.
const LONG_RUNNING: &str = "ogf-operator -- run";
/// After this block, the operator the chart installed runs (see the module docs).
const INSTALL: &str = "helm install ogf-operator";
/// The page's last block removes everything; the operator's error count is checked before it.
const REMOVAL: &str = "helm uninstall ogf-operator";
/// Longest a block may run (the page's own waits are shorter).
const BLOCK_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Longest the out-of-cluster operator may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_on_the_operator_page_works_against_the_test_environment() {
    let blocks = doc::sh_blocks(PAGE);
    for fragment in NOT_RUN
        .iter()
        .map(|(f, _)| *f)
        .chain([LONG_RUNNING, INSTALL, REMOVAL])
    {
        doc::the_block(&blocks, fragment);
    }
    if env::kubeconfig_path().is_some() && !env::is_testenv_cluster() {
        eprintln!(
            "SKIPPED: docs/operator.md runs on the test environment only (kwok, the Job \
             runner); OGF_E2E_KUBECONFIG names another cluster"
        );
        return;
    }
    let Some(mut world) = World::new().await else {
        return;
    };
    world.provide_volume_and_kubelet().await;
    // The files the page has the reader write (`# ogf-values.yaml` blocks), written as told.
    for (name, content) in doc::named_yaml_files(PAGE) {
        std::fs::write(world.workdir.join(&name), content)
            .unwrap_or_else(|e| panic!("write {name}: {e}"));
    }

    for (index, block) in blocks.iter().enumerate() {
        println!(
            "\n=== docs/operator.md block {}/{} (line {}) ===\n{}",
            index + 1,
            blocks.len(),
            block.line,
            block.text
        );
        if let Some((_, why)) = NOT_RUN.iter().find(|(f, _)| block.text.contains(f)) {
            println!("--- not run here: {why}");
            continue;
        }
        if block.text.contains(REMOVAL) {
            let operator = world.operator.as_ref().expect("the operator runs");
            assert_eq!(
                reconcile_errors(operator, "bug"),
                0,
                "no reconcile of the operator (as the chart's ServiceAccount) failed as a bug \
                 (e.g. a forbidden call)"
            );
        }
        if block.text.contains(LONG_RUNNING) {
            run_until_ready(&world, block).await;
        } else {
            run_block(&world, block).await;
        }
        if block.text.contains(INSTALL) {
            world.start_operator().await;
        }
    }

    // The Jobs behind the page's waits ran for real: a backup and a restore with the real engine.
    let runs = world.runner.as_ref().expect("job runner").runs();
    for command in ["backup", "restore"] {
        assert!(
            runs.iter()
                .any(|r| r.exit_code == 0
                    && r.spec_args.first().map(String::as_str) == Some(command)),
            "a successful `ogf-api {command}` Job pod ran: {runs:#?}"
        );
    }
    world.clear_bucket_prefix().await;
}

/// Runs `block` to its end; fails the test when it exits non-zero or runs too long.
async fn run_block(world: &World, block: &Block) {
    let mut command = shell(world, block);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start bash: {e}"));
    let group = child.id();
    let output = match tokio::time::timeout(BLOCK_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => fail(
            world,
            block,
            &format!("could not wait for bash: {e}"),
            "",
            "",
        ),
        Err(_) => {
            if let Some(group) = group {
                kill_group(group, "KILL");
            }
            fail(
                world,
                block,
                &format!("still running after {BLOCK_TIMEOUT:?}"),
                "",
                "",
            )
        }
    };
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    print!("--- stdout\n{stdout}--- stderr\n{stderr}");
    if !output.status.success() {
        fail(world, block, &output.status.to_string(), &stdout, &stderr);
    }
}

/// Starts the long-running `block` in the background with `/readyz` on a free port, waits
/// until it answers 200, and stops it (its whole process group).
async fn run_until_ready(world: &World, block: &Block) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log_path = world.workdir.with_file_name("long-running.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut command = shell(world, block);
    command
        .env("OGF_OPERATOR_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .stdout(log.try_clone().expect("log file"))
        .stderr(log);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start bash: {e}"));
    let group = child.id().expect("pid of the background block");
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    let outcome = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Err(format!("exited before it was ready: {status}"));
        }
        if http_status(port, "/readyz").await == Some(200) {
            break Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            break Err(format!(
                "/readyz on port {port} not 200 within {READY_TIMEOUT:?}"
            ));
        }
        // Polling an observable condition, bounded by the deadline above.
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    kill_group(group, "TERM");
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        kill_group(group, "KILL");
        let _ = child.wait().await;
    }
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    match outcome {
        Ok(()) => println!("--- ready on 127.0.0.1:{port}/readyz, stopped; output:\n{log}"),
        Err(why) => fail(world, block, &why, &log, ""),
    }
}

/// `bash -euo pipefail -c BLOCK` in the reader's directory and environment, in a process group
/// of its own.
fn shell(world: &World, block: &Block) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(&world.bash);
    command
        .args([
            "--noprofile",
            "--norc",
            "-euo",
            "pipefail",
            "-c",
            &block.text,
        ])
        .env_clear()
        .envs(world.shell_env())
        .current_dir(&world.workdir)
        .stdin(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    command
}

/// Signals the process group `group` (the block's shell and everything it started).
fn kill_group(group: u32, signal: &str) {
    let _ = std::process::Command::new("kill")
        .args([format!("-{signal}"), "--".into(), format!("-{group}")])
        .status();
}

/// The status code of `GET path` on 127.0.0.1:`port`, if anything answers.
async fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
        .await
        .ok()?
        .ok()?;
    String::from_utf8_lossy(&response)
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn fail(world: &World, block: &Block, why: &str, stdout: &str, stderr: &str) -> ! {
    panic!(
        "docs/operator.md, the ```sh block at line {} failed: {why}\n{}--- stdout\n{stdout}\n\
         --- stderr\n{stderr}\n--- cluster{}",
        block.line,
        block.text,
        world.diagnostics()
    )
}

/// `ogf_operator_reconcile_errors_total` of `category`, summed over kinds.
fn reconcile_errors(operator: &Operator, category: &str) -> u64 {
    operator
        .metrics
        .registry()
        .gather()
        .iter()
        .filter(|f| f.name() == "ogf_operator_reconcile_errors_total")
        .flat_map(|f| f.get_metric().iter())
        .filter(|m| {
            m.get_label()
                .iter()
                .any(|l| l.name() == "category" && l.value() == category)
        })
        .map(|m| m.get_counter().get_value() as u64)
        .sum()
}
