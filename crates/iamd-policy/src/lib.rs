//! iamd-policy
