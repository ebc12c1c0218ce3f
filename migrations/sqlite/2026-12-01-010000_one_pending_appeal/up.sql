-- At most one pending appeal per rating, enforced by the database so concurrent submissions
-- cannot store several (20 at once stored 5 on PostgreSQL). Duplicates already stored are
-- closed first, keeping the earliest, with a note saying why.
UPDATE appeals
SET status = 'dismissed',
    decided_at = CURRENT_TIMESTAMP,
    decision_note = '重复的待处理申诉，已由系统关闭 duplicate pending appeal closed when one pending appeal per rating became a rule'
WHERE status = 'pending'
  AND id NOT IN (SELECT MIN(id) FROM appeals WHERE status = 'pending' GROUP BY response_id);
CREATE UNIQUE INDEX appeals_one_pending ON appeals (response_id) WHERE status = 'pending';
