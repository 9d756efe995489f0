//! The crypto provider of this build, passed explicitly to every rustls configuration.
//!
//! The controller builds with `aws-lc` (rcgen generates RSA keys only with aws-lc-rs); the agent
//! with `ring` alone, because the agent only verifies and its binary travels to every host: on
//! ring the portable agent is 0.7 MB smaller (3.69 MB → 2.99 MB). Where the two differ: ring's
//! provider verifies no ECDSA P-521 signature (a chain signed so fails verification in the
//! agent's `reach.*` checks; `ironprep certs` makes RSA and P-256 only), and it offers no
//! post-quantum key exchange (X25519MLKEM768), so servers settle on X25519 with the agent.

#[cfg(not(any(feature = "aws-lc", feature = "ring")))]
compile_error!("ironprep-certs needs a crypto provider: enable the feature aws-lc or ring");

use rustls::crypto::CryptoProvider;

/// rustls' default provider of this build.
pub fn provider() -> CryptoProvider {
    #[cfg(feature = "aws-lc")]
    {
        rustls::crypto::aws_lc_rs::default_provider()
    }
    #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
    {
        rustls::crypto::ring::default_provider()
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    #[cfg(feature = "aws-lc")]
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_sha256() {
        let hex: String = sha256(b"abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
