//! Load campaigns: profiles as data (`profile`), run with Goose and judged
//! against SLO targets on what was measured (`record`).

pub mod profile;
pub mod record;
