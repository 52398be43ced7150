//! The upstream spec (`../shared` beside the repository, or `$OGI_SHARED_DIR`), for the tests
//! that keep ogi's own copies of it equal. A clone of ogi on its own has no upstream spec: those
//! tests then say plainly that they were skipped, and pass.

use std::io::Write;
use std::path::PathBuf;

/// The upstream spec directory, whether or not it exists.
fn dir() -> PathBuf {
    std::env::var_os("OGI_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// The text of `relative` in the upstream spec, or `None` (with a "skipped" line on stderr,
/// written past the test harness's capture so that `cargo test` shows it) when there is none.
pub(crate) fn read(test: &str, relative: &str) -> Option<String> {
    let dir = dir();
    if !dir.is_dir() {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: ../shared not present ({test}: compares with {relative}; set OGI_SHARED_DIR to run it)"
        );
        return None;
    }
    let path = dir.join(relative);
    Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}
