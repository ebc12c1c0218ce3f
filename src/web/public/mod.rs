//! Pages residents see.

pub mod home;
pub mod survey;
