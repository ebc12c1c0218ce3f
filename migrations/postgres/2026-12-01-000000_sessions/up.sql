-- Console sessions known to the server: the cookie carries the id, and a request is served only
-- while its row exists, so signing out, a password change or a deactivated account ends a session
-- on every node at once (a copied cookie stops working).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
