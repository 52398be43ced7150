//! Puts the git commit the `ogi` binary was built from into `ogi --version`
//! (`OGI_GIT_COMMIT`); outside a git checkout (a source tarball) it says so instead.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn main() {
    let commit = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(hash) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
            format!("{hash}{}", if dirty { "-modified" } else { "" })
        }
        None => "unknown (not built from a git checkout)".to_string(),
    };
    println!("cargo:rustc-env=OGI_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves: the HEAD file (a worktree's own) and the branch it points to.
    for path in ["HEAD", "index"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(&["rev-parse", "--git-path", &branch])
    {
        println!("cargo:rerun-if-changed={p}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
