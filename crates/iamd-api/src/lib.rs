//! iamd-api
