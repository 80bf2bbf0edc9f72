//! Identifier generation in AWS's observed shapes (lowercase alphanumerics).

use rand::Rng;

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A random id of `len` lowercase alphanumerics (RestApi ids are 10, resources and
/// deployments 6).
pub fn new_id(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn rest_api_id() -> String {
    new_id(10)
}

pub fn resource_id() -> String {
    new_id(6)
}

pub fn deployment_id() -> String {
    new_id(6)
}
