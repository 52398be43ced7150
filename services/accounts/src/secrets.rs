//! Passwords (argon2id) and session secrets (random, stored as SHA-256 hashes).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("no system randomness"))?;
    Ok(bytes)
}

/// The PHC string of `password` under argon2id with a random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()?).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string())
}

/// Whether `password` matches the stored PHC string.
pub fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .and_then(|h| Argon2::default().verify_password(password.as_bytes(), &h))
        .is_ok()
}

/// A new session secret (given to the client once) and its stored hash.
pub fn new_session_secret() -> anyhow::Result<(String, String)> {
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let hash = secret_hash(&secret);
    Ok((secret, hash))
}

pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("Anju-2024-office").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(password_matches("Anju-2024-office", &h));
        assert!(!password_matches("anju-2024-office", &h));
        assert_ne!(h, hash_password("Anju-2024-office").unwrap(), "salted");
    }

    #[test]
    fn session_secrets_are_stored_as_hashes() {
        let (secret, hash) = new_session_secret().unwrap();
        assert_eq!(secret_hash(&secret), hash);
        assert_ne!(secret, hash);
    }
}
