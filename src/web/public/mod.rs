//! Pages residents see.

pub mod case;
pub mod home;
pub mod survey;
