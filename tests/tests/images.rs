//! The OCI images of `make image` are complete: `scripts/build-images.sh` builds one per binary
//! (here from the binaries of this test's profile, to stay fast); each is opened with
//! `buildah from oci-archive:…`, its configuration read (entrypoint, non-root user, OCI labels)
//! and its root mounted (`buildah mount`); its binary then runs inside that root with `chroot`
//! as the image's user: `--help`, and one service against a nats-server and SQLite, answering
//! its gRPC health check. Podman cannot run containers here (cgroups), so the chroot run is
//! the check that an image holds everything its binary needs.
//!
//! Needs root and buildah (`make tools` installs it with apt-get); skips, saying so, when it
//! is not root or buildah cannot be installed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ogi_e2e::scrape::http_get;
use ogi_e2e::{stderr, stdout};
use ogi_testkit::{NatsServer, binary, free_port};
use serde_json::Value;

const BINARIES: [&str; 8] = [
    "ogi",
    "ogi-accounts",
    "ogi-intake",
    "ogi-validation",
    "ogi-approval",
    "ogi-publishing",
    "ogi-reporting",
    "ogi-console",
];
const USER: &str = "10001:10001";

/// A script of this repository (the one this test was compiled from).
fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts")
        .join(name)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| stdout(&o).trim() == "0")
}

fn has_buildah() -> bool {
    Command::new("buildah")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// buildah on a private vfs store under a temporary directory; every container it made is
/// removed, and the store with it, on drop.
struct Buildah {
    store: tempfile::TempDir,
}

impl Buildah {
    fn new() -> Buildah {
        Buildah {
            store: tempfile::Builder::new()
                .prefix("ogi-buildah-")
                .tempdir()
                .unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("buildah")
            .args(["--storage-driver", "vfs", "--root"])
            .arg(self.store.path().join("storage"))
            .arg("--runroot")
            .arg(self.store.path().join("run"))
            .args(args)
            .output()
            .expect("run buildah");
        assert!(
            out.status.success(),
            "buildah {args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        stdout(&out).trim().to_string()
    }
}

impl Drop for Buildah {
    fn drop(&mut self) {
        let _ = Command::new("buildah")
            .args(["--storage-driver", "vfs", "--root"])
            .arg(self.store.path().join("storage"))
            .arg("--runroot")
            .arg(self.store.path().join("run"))
            .args(["rm", "--all"])
            .output();
    }
}

/// `chroot` from this process's PATH (the child's environment is cleared).
fn chroot() -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|dir| dir.join("chroot"))
        .find(|path| path.is_file())
        .expect("chroot (coreutils) on PATH")
}

/// `chroot --userspec=USER ROOT PROGRAM ARGS` with the image's environment only.
fn in_image(root: &Path, program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(chroot());
    command
        .arg(format!("--userspec={USER}"))
        .arg(root)
        .arg(program)
        .args(args)
        .env_clear()
        .envs([("TMPDIR", "/tmp"), ("HOME", "/tmp"), ("LANG", "C.UTF-8")])
        .current_dir("/");
    command
}

/// The image's OCI configuration as buildah shows it for a container made from it.
fn image_config(buildah: &Buildah, container: &str) -> Value {
    let inspected: Value = serde_json::from_str(&buildah.run(&["inspect", container])).unwrap();
    inspected["OCIv1"]["config"].clone()
}

/// A service process, killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn serving(port: u16, service: &str) -> bool {
    let Ok(endpoint) = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
    else {
        return false;
    };
    let Ok(channel) = endpoint.connect().await else {
        return false;
    };
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    let request = tonic_health::pb::HealthCheckRequest {
        service: service.into(),
    };
    matches!(
        client.check(request).await.map(|r| r.into_inner().status),
        Ok(s) if s == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn each_image_runs_its_binary_in_its_own_root() {
    if !is_root() {
        eprintln!(
            "SKIPPED each_image_runs_its_binary_in_its_own_root: building and mounting images \
             with buildah needs root"
        );
        return;
    }
    if !has_buildah() {
        let _ = Command::new(script("install-tools.sh")).output();
    }
    if !has_buildah() {
        eprintln!(
            "SKIPPED each_image_runs_its_binary_in_its_own_root: buildah is missing and \
             scripts/install-tools.sh could not install it (apt-get install buildah)"
        );
        return;
    }

    // The binaries of this test's profile: target/<profile>/ogi.
    let ogi = binary("ogi");
    let profile_dir = ogi.parent().unwrap();
    let profile = profile_dir.file_name().unwrap().to_str().unwrap();
    let target_dir = profile_dir.parent().unwrap();
    let out_dir = tempfile::Builder::new()
        .prefix("ogi-images-")
        .tempdir()
        .unwrap();
    let built = Command::new(script("build-images.sh"))
        .args(["--profile", profile, "--out"])
        .arg(out_dir.path())
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}{}",
        stdout(&built),
        stderr(&built)
    );

    let buildah = Buildah::new();
    let mut roots: Vec<(&str, PathBuf)> = Vec::new();
    for bin in BINARIES {
        let archive = out_dir.path().join(format!("{bin}.oci.tar"));
        assert!(archive.is_file(), "{} missing", archive.display());
        let container = buildah.run(&[
            "from",
            "--quiet",
            &format!("oci-archive:{}", archive.display()),
        ]);
        let config = image_config(&buildah, &container);
        let entrypoint = format!("/usr/local/bin/{bin}");
        assert_eq!(
            config["Entrypoint"],
            serde_json::json!([entrypoint]),
            "{bin}"
        );
        assert_eq!(config["User"], USER, "{bin}: runs as the non-root user");
        let labels = &config["Labels"];
        assert_eq!(labels["org.opencontainers.image.title"], bin);
        assert_eq!(
            labels["org.opencontainers.image.version"],
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(labels["org.opencontainers.image.licenses"], "Apache-2.0");
        assert_eq!(
            labels["org.opencontainers.image.source"],
            env!("CARGO_PKG_REPOSITORY")
        );
        let revision = labels["org.opencontainers.image.revision"]
            .as_str()
            .unwrap_or_default();
        assert!(
            revision.len() >= 40 && revision.chars().take(40).all(|c| c.is_ascii_hexdigit()),
            "{bin}: revision {revision:?}"
        );

        let root = PathBuf::from(buildah.run(&["mount", &container]));
        let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
        assert!(
            passwd.lines().any(|l| l.starts_with("ogi:x:10001:10001:")),
            "{passwd}"
        );
        let help = in_image(&root, &entrypoint, &["--help"]).output().unwrap();
        assert!(
            help.status.success(),
            "{bin} --help in its image: {}{}",
            stdout(&help),
            stderr(&help)
        );
        assert!(stdout(&help).contains("--"), "{bin}: {}", stdout(&help));
        // Nothing but the binary, its libraries and the few files of the image.
        let files = count_files(&root);
        assert!(files < 40, "{bin}: {files} files in the image");
        roots.push((bin, root));
    }

    // A service in its image: intake on SQLite under the image's /tmp and a nats-server.
    let nats = NatsServer::start().unwrap();
    let (_, root) = roots.iter().find(|(bin, _)| *bin == "ogi-intake").unwrap();
    let port = free_port();
    let admin = free_port();
    let log = out_dir.path().join("intake.log");
    let service = Running(
        in_image(
            root,
            "/usr/local/bin/ogi-intake",
            &[
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--admin-listen",
                &format!("127.0.0.1:{admin}"),
                "--database-url",
                "sqlite:///tmp/intake.db?mode=rwc",
                "--nats-url",
                &nats.url,
            ],
        )
        .env("OGI_LOG_JSON", "true")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap(),
    );
    let start = Instant::now();
    while !serving(port, "ogi.v1.IntakeService").await {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "ogi-intake in its image did not answer its health check:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(http_get(admin, "/readyz").unwrap(), (200, "ready\n".into()));
    assert!(
        root.join("tmp/intake.db").is_file(),
        "the database is in the image's /tmp"
    );
    drop(service);
    assert_one_line_per_archive(&built);
}

fn count_files(root: &Path) -> usize {
    std::fs::read_dir(root)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                count_files(&path)
            } else {
                1
            }
        })
        .sum()
}

/// The build printed one line per archive and nothing else on stdout.
fn assert_one_line_per_archive(built: &Output) {
    let lines: Vec<String> = stdout(built).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), BINARIES.len(), "{lines:?}");
    for (line, bin) in lines.iter().zip(BINARIES) {
        assert!(line.contains(&format!("{bin}.oci.tar")), "{line}");
    }
}
