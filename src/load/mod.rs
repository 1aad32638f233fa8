//! Load campaigns: profiles as data (`profile`), run with Goose and judged
//! against SLO targets.

pub mod profile;
