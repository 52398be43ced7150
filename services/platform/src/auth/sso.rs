//! Single sign-on helpers shared by the CLI and the accounts service: PKCE (RFC 7636, S256)
//! and the loopback redirect addresses a native client may use (RFC 8252).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::SecureRandom;

/// A random URL-safe string of `bytes` random bytes (a code verifier, a state, a nonce).
pub fn random_token(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    ring::rand::SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| anyhow::anyhow!("no system randomness"))?;
    Ok(B64.encode(buf))
}

/// The S256 code challenge of a code verifier.
pub fn code_challenge(verifier: &str) -> String {
    B64.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// A new code verifier (43 characters) and its challenge.
pub fn pkce_pair() -> anyhow::Result<(String, String)> {
    let verifier = random_token(32)?;
    let challenge = code_challenge(&verifier);
    Ok((verifier, challenge))
}

/// Whether `uri` is an http redirect to this machine's loopback interface.
pub fn is_loopback_redirect(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && port.parse::<u16>().is_ok() => name,
        _ => host,
    };
    matches!(name, "127.0.0.1" | "[::1]" | "localhost")
}

/// Percent-decode a query value (`+` is a space).
pub fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encode a query value (everything but RFC 3986 unreserved characters).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of `name` in a query string (`a=1&b=2`), decoded.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == name).then(|| percent_decode(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_is_the_rfc_7636_example() {
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let (v, c) = pkce_pair().unwrap();
        assert_eq!(v.len(), 43);
        assert_eq!(code_challenge(&v), c);
    }

    #[test]
    fn only_loopback_redirects_are_taken() {
        assert!(is_loopback_redirect("http://127.0.0.1:51234/callback"));
        assert!(is_loopback_redirect("http://localhost:8080/"));
        assert!(is_loopback_redirect("http://[::1]:9000/cb"));
        assert!(!is_loopback_redirect("https://127.0.0.1:1/"));
        assert!(!is_loopback_redirect("http://127.0.0.1.evil.cn:80/"));
        assert!(!is_loopback_redirect("http://evil.cn/?127.0.0.1"));
    }

    #[test]
    fn query_values_round_trip() {
        let q = format!("code={}&state=a%2Bb&x", percent_encode("中文 &="));
        assert_eq!(query_value(&q, "code").unwrap(), "中文 &=");
        assert_eq!(query_value(&q, "state").unwrap(), "a+b");
        assert_eq!(query_value(&q, "x").unwrap(), "");
        assert_eq!(query_value(&q, "y"), None);
    }
}
