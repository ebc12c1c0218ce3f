-- Failed and successful sign-ins, for throttling guessing per account and per client
-- (kept in the database so every node sees the same counts).
CREATE TABLE login_attempts (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    username TEXT NOT NULL,
    -- keyed hash of the client address, never the address itself
    client_hash TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_username_at ON login_attempts (username, at);
CREATE INDEX login_attempts_client_at ON login_attempts (client_hash, at);
