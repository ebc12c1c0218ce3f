DROP INDEX appeals_one_pending;
