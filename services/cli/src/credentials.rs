//! The credential `ogi login` keeps (as kubectl keeps a kubeconfig): under `OGI_CONFIG_DIR`,
//! by default `~/.config/ogi`, the file `credentials.json`, readable by its owner only.

use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credential {
    pub username: String,
    /// The accounts service that issued it.
    pub accounts: String,
    pub access_token: String,
    /// Unix seconds.
    pub access_expires_at: i64,
    /// The session's secret, for refreshing the token and signing out.
    pub session_token: String,
    pub session_expires_at: i64,
}

/// `OGI_CONFIG_DIR`, else `$XDG_CONFIG_HOME/ogi`, else `~/.config/ogi`.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OGI_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("ogi");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".config").join("ogi")
}

fn path() -> PathBuf {
    config_dir().join("credentials.json")
}

pub fn load() -> anyhow::Result<Option<Credential>> {
    let path = path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("无法读取登录凭据 {}", path.display())),
    };
    serde_json::from_str(&text)
        .map(Some)
        .with_context(|| format!("登录凭据 {} 已损坏：请重新运行 ogi login", path.display()))
}

pub fn save(credential: &Credential) -> anyhow::Result<()> {
    let dir = config_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("无法创建凭据目录 {}", dir.display()))?;
    let path = path();
    let tmp = dir.join(format!(".credentials.{}.tmp", std::process::id()));
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&tmp)
            .with_context(|| format!("无法写入登录凭据 {}", tmp.display()))?;
        file.write_all(serde_json::to_string_pretty(credential)?.as_bytes())?;
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("无法写入登录凭据 {}", path.display()))?;
    Ok(())
}

pub fn remove() -> anyhow::Result<bool> {
    match std::fs::remove_file(path()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}
