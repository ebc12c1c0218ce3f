//! Pages residents see.

pub mod case;
pub mod home;
pub mod lang;
pub mod question;
pub mod results;
pub mod survey;
