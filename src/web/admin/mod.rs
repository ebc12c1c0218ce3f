//! The admin console: sign-in, the dashboard and the signed-in user's own password.
//! Pages here require a session; each handler checks it before doing anything else.

pub mod dashboard;
pub mod login;
pub mod password;
pub mod session;
