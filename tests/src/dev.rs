//! A running `ogi dev`, as a user starts it: its output read line by line, stopped with
//! SIGTERM (and waited for) when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ogi_testkit::binary;

/// A running `ogi dev`: its output lines as they come, stopped with SIGTERM.
pub struct Dev {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Dev {
    /// `ogi dev ARGS`, its CLI credential in `config_dir`.
    pub fn start(config_dir: &Path, args: &[String]) -> Dev {
        let mut child = Command::new(binary("ogi"))
            .env("OGI_CONFIG_DIR", config_dir)
            .arg("dev")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ogi dev");
        let lines = forward_lines(child.stdout.take().expect("stdout"));
        Dev {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The lines up to and including the first one `until` accepts.
    pub fn read_until(&mut self, until: impl Fn(&str) -> bool, deadline: Duration) -> Vec<String> {
        let start = Instant::now();
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    let done = until(&line);
                    lines.push(line);
                    if done {
                        return lines;
                    }
                }
                Err(_) => panic!(
                    "ogi dev did not print what was expected within {deadline:?}; it printed:\n{}\n{}",
                    self.seen.join("\n"),
                    self.stderr_if_exited()
                ),
            }
        }
    }

    fn stderr_if_exited(&mut self) -> String {
        match self.child.try_wait() {
            Ok(Some(status)) => {
                let err = self
                    .child
                    .stderr
                    .take()
                    .map(|e| std::io::read_to_string(e).unwrap_or_default())
                    .unwrap_or_default();
                format!("exited {status}: {err}")
            }
            _ => "still running".into(),
        }
    }

    /// SIGTERM; waits for the exit and its last line.
    pub fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        self.read_until(|l| l == "ogi 已停止。", Duration::from_secs(60));
        let status = self.child.wait().expect("wait for ogi dev");
        assert!(status.success(), "ogi dev exited {status}");
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let _ = self.child.wait();
        }
    }
}

fn forward_lines(out: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
