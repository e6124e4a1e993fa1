// The name tokenbill's connections give PostgreSQL (pg_stat_activity's application_name), unless the URL sets
// one. A module of its own so that what only needs the name (the job listener's) does not load the drivers.
export const APPLICATION_NAME = "tokenbill";
