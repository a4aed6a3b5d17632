//! Encryption at rest for personal data dsrflow itself holds (data collected for access requests,
//! access packages), and keyed hashes (suppression list, pseudonyms).
//!
//! XChaCha20-Poly1305 with a random 192-bit nonce per sealed blob (random nonces of that size
//! never collide in practice), and HMAC-SHA256 for keyed hashes under a key derived from the same
//! secret, so an operator manages one secret.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const NONCE_LEN: usize = 24;

/// The secret that protects dsrflow's own copy of personal data.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(***)")
    }
}

/// Why a key or a sealed blob was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The key is not 32 bytes of base64.
    #[error("the data key must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")]
    BadKey,
    /// The blob was altered, truncated, or sealed with another key.
    #[error("sealed data could not be opened (altered, or sealed with another key)")]
    Open,
}

impl DataKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        Self(k)
    }

    /// Parses a base64 key.
    pub fn from_base64(s: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD.decode(s.trim()).map_err(|_| CryptoError::BadKey)?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self(arr))
    }

    /// The key in base64 (to write a generated key to its file).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    fn subkey(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.0, &[b"dsrflow:", purpose.as_bytes()])
    }

    /// Encrypts `plaintext`; `context` (e.g. a task id) is authenticated, so a blob cannot be
    /// moved to another row.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(&self.subkey("seal").into());
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts a blob made by [`DataKey::seal`] with the same context.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Open);
        }
        let cipher = XChaCha20Poly1305::new(&self.subkey("seal").into());
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Open)?;
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: context,
                },
            )
            .map_err(|_| CryptoError::Open)
    }

    /// A keyed hash (hex HMAC-SHA256) of a normalised identifier, for the suppression list and
    /// pseudonyms: stable, not reversible without the key.
    pub fn keyed_hash(&self, purpose: &str, value: &str) -> String {
        hex::encode(hmac_sha256(&self.subkey(purpose), &[value.as_bytes()]))
    }

    /// The subject's pseudonym in the systems' retained rows: 32 hex digits of a keyed hash of
    /// the address (case folded), the same for every request about that address, meaningless
    /// without the data key. An erasure that keeps some rows writes it where it anonymises
    /// (`{subject}` in a `sql` table's `anonymise`), so a later access request still finds
    /// what was kept (Art. 15).
    pub fn subject_pseudonym(&self, email: &str) -> String {
        let mut h = self.keyed_hash("retention-link", &email.to_lowercase());
        h.truncate(32);
        h
    }
}

/// HMAC-SHA256 over the concatenated parts.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return [0u8; 32];
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_context() {
        let k = DataKey::generate();
        let sealed = k.seal(b"task-1", b"alice's data");
        assert_eq!(k.open(b"task-1", &sealed).unwrap(), b"alice's data");
        assert_eq!(k.open(b"task-2", &sealed), Err(CryptoError::Open));
        assert_eq!(
            DataKey::generate().open(b"task-1", &sealed),
            Err(CryptoError::Open)
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(k.open(b"task-1", &tampered), Err(CryptoError::Open));
        assert!(!sealed.windows(5).any(|w| w == b"alice"));
    }

    #[test]
    fn keys_round_trip_through_base64_and_reject_bad_lengths() {
        let k = DataKey::generate();
        let again = DataKey::from_base64(&k.to_base64()).unwrap();
        assert_eq!(k.keyed_hash("p", "x"), again.keyed_hash("p", "x"));
        assert_eq!(
            DataKey::from_base64("c2hvcnQ=").unwrap_err(),
            CryptoError::BadKey
        );
        assert_eq!(
            DataKey::from_base64("not base64!").unwrap_err(),
            CryptoError::BadKey
        );
    }

    #[test]
    fn keyed_hashes_depend_on_key_and_purpose() {
        let k = DataKey::generate();
        assert_eq!(k.keyed_hash("suppression", "a@b.co").len(), 64);
        assert_ne!(
            k.keyed_hash("suppression", "a@b.co"),
            k.keyed_hash("pseudonym", "a@b.co")
        );
        assert_ne!(
            k.keyed_hash("suppression", "a@b.co"),
            DataKey::generate().keyed_hash("suppression", "a@b.co")
        );
    }
}
