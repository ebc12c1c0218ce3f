//! Pages residents see.

pub mod home;
