-- The KPI rollups are kept current from a queue of what changed (kpi_changes), filled here by
-- statement-level triggers, so every writer (import, sources, people commands) is covered without knowing
-- about the rollups (src/metrics/rollups.ts). An UPDATE only queues rows whose values changed: syncing
-- unchanged data again queues nothing.
CREATE FUNCTION kpi_note_merge_requests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Before the first build there is nothing to keep current: the build reads everything.
  IF NOT EXISTS (SELECT 1 FROM kpi_state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'merge_request', x.id FROM (SELECT r.id FROM new_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'merge_request', x.id FROM (SELECT r.id FROM old_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'merge_request', x.id FROM (SELECT r.id FROM (SELECT n.* FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r UNION ALL SELECT r.id FROM (SELECT o.* FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER merge_requests_kpi_insert AFTER INSERT ON merge_requests REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_merge_requests();
--> statement-breakpoint
CREATE TRIGGER merge_requests_kpi_update AFTER UPDATE ON merge_requests REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_merge_requests();
--> statement-breakpoint
CREATE TRIGGER merge_requests_kpi_delete AFTER DELETE ON merge_requests REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_merge_requests();
--> statement-breakpoint
CREATE FUNCTION kpi_note_reviews() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Before the first build there is nothing to keep current: the build reads everything.
  IF NOT EXISTS (SELECT 1 FROM kpi_state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'merge_request', x.id FROM (SELECT r.merge_request_id FROM new_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'merge_request', x.id FROM (SELECT r.merge_request_id FROM old_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'merge_request', x.id FROM (SELECT r.merge_request_id FROM (SELECT n.* FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r UNION ALL SELECT r.merge_request_id FROM (SELECT o.* FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER reviews_kpi_insert AFTER INSERT ON reviews REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_reviews();
--> statement-breakpoint
CREATE TRIGGER reviews_kpi_update AFTER UPDATE ON reviews REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_reviews();
--> statement-breakpoint
CREATE TRIGGER reviews_kpi_delete AFTER DELETE ON reviews REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_reviews();
--> statement-breakpoint
CREATE FUNCTION kpi_note_comments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Before the first build there is nothing to keep current: the build reads everything.
  IF NOT EXISTS (SELECT 1 FROM kpi_state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'merge_request', x.id FROM (SELECT m.id FROM new_rows r JOIN merge_requests m ON m.project_id = r.project_id AND m.number = r.target_ref::int WHERE r.target_type = 'merge_request' AND r.target_ref ~ '^[0-9]{1,9}$') AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'merge_request', x.id FROM (SELECT m.id FROM old_rows r JOIN merge_requests m ON m.project_id = r.project_id AND m.number = r.target_ref::int WHERE r.target_type = 'merge_request' AND r.target_ref ~ '^[0-9]{1,9}$') AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'merge_request', x.id FROM (SELECT m.id FROM (SELECT n.* FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r JOIN merge_requests m ON m.project_id = r.project_id AND m.number = r.target_ref::int WHERE r.target_type = 'merge_request' AND r.target_ref ~ '^[0-9]{1,9}$' UNION ALL SELECT m.id FROM (SELECT o.* FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r JOIN merge_requests m ON m.project_id = r.project_id AND m.number = r.target_ref::int WHERE r.target_type = 'merge_request' AND r.target_ref ~ '^[0-9]{1,9}$') AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER comments_kpi_insert AFTER INSERT ON comments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_comments();
--> statement-breakpoint
CREATE TRIGGER comments_kpi_update AFTER UPDATE ON comments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_comments();
--> statement-breakpoint
CREATE TRIGGER comments_kpi_delete AFTER DELETE ON comments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_comments();
--> statement-breakpoint
CREATE FUNCTION kpi_note_activities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Before the first build there is nothing to keep current: the build reads everything.
  IF NOT EXISTS (SELECT 1 FROM kpi_state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM new_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM old_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM (SELECT n.* FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r UNION ALL SELECT r.person_id FROM (SELECT o.* FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER activities_kpi_insert AFTER INSERT ON activities REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_activities();
--> statement-breakpoint
CREATE TRIGGER activities_kpi_update AFTER UPDATE ON activities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_activities();
--> statement-breakpoint
CREATE TRIGGER activities_kpi_delete AFTER DELETE ON activities REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_activities();
--> statement-breakpoint
CREATE FUNCTION kpi_note_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Before the first build there is nothing to keep current: the build reads everything.
  IF NOT EXISTS (SELECT 1 FROM kpi_state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.id FROM new_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.id FROM old_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.id FROM (SELECT n.* FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r UNION ALL SELECT r.id FROM (SELECT o.* FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER people_kpi_insert AFTER INSERT ON people REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_people();
--> statement-breakpoint
CREATE TRIGGER people_kpi_update AFTER UPDATE ON people REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_people();
--> statement-breakpoint
CREATE TRIGGER people_kpi_delete AFTER DELETE ON people REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_people();
--> statement-breakpoint
CREATE FUNCTION kpi_note_identities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Before the first build there is nothing to keep current: the build reads everything.
  IF NOT EXISTS (SELECT 1 FROM kpi_state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM new_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM old_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM (SELECT n.* FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r UNION ALL SELECT r.person_id FROM (SELECT o.* FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER identities_kpi_insert AFTER INSERT ON identities REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_identities();
--> statement-breakpoint
CREATE TRIGGER identities_kpi_update AFTER UPDATE ON identities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_identities();
--> statement-breakpoint
CREATE TRIGGER identities_kpi_delete AFTER DELETE ON identities REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_identities();
--> statement-breakpoint
CREATE FUNCTION kpi_note_team_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Before the first build there is nothing to keep current: the build reads everything.
  IF NOT EXISTS (SELECT 1 FROM kpi_state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM new_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM old_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM (SELECT n.* FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r UNION ALL SELECT r.person_id FROM (SELECT o.* FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER team_memberships_kpi_insert AFTER INSERT ON team_memberships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_team_memberships();
--> statement-breakpoint
CREATE TRIGGER team_memberships_kpi_update AFTER UPDATE ON team_memberships REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_team_memberships();
--> statement-breakpoint
CREATE TRIGGER team_memberships_kpi_delete AFTER DELETE ON team_memberships REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_team_memberships();
--> statement-breakpoint
CREATE FUNCTION kpi_note_group_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Before the first build there is nothing to keep current: the build reads everything.
  IF NOT EXISTS (SELECT 1 FROM kpi_state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM new_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM old_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM (SELECT n.* FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r UNION ALL SELECT r.person_id FROM (SELECT o.* FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER group_memberships_kpi_insert AFTER INSERT ON group_memberships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_group_memberships();
--> statement-breakpoint
CREATE TRIGGER group_memberships_kpi_update AFTER UPDATE ON group_memberships REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_group_memberships();
--> statement-breakpoint
CREATE TRIGGER group_memberships_kpi_delete AFTER DELETE ON group_memberships REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_group_memberships();
--> statement-breakpoint
CREATE FUNCTION kpi_note_affiliations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Before the first build there is nothing to keep current: the build reads everything.
  IF NOT EXISTS (SELECT 1 FROM kpi_state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM new_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM old_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'person', x.id FROM (SELECT r.person_id FROM (SELECT n.* FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r UNION ALL SELECT r.person_id FROM (SELECT o.* FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER affiliations_kpi_insert AFTER INSERT ON affiliations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_affiliations();
--> statement-breakpoint
CREATE TRIGGER affiliations_kpi_update AFTER UPDATE ON affiliations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_affiliations();
--> statement-breakpoint
CREATE TRIGGER affiliations_kpi_delete AFTER DELETE ON affiliations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_affiliations();
--> statement-breakpoint
CREATE FUNCTION kpi_note_milestones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Before the first build there is nothing to keep current: the build reads everything.
  IF NOT EXISTS (SELECT 1 FROM kpi_state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'everything', x.id FROM (SELECT 0::int8 FROM new_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'everything', x.id FROM (SELECT 0::int8 FROM old_rows r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO kpi_changes (scope, id) SELECT DISTINCT 'everything', x.id FROM (SELECT 0::int8 FROM (SELECT n.* FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r UNION ALL SELECT 0::int8 FROM (SELECT o.* FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id WHERE n.id IS NULL OR (n.*) IS DISTINCT FROM (o.*)) r) AS x(id) WHERE x.id IS NOT NULL ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER milestones_kpi_insert AFTER INSERT ON milestones REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_milestones();
--> statement-breakpoint
CREATE TRIGGER milestones_kpi_update AFTER UPDATE ON milestones REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_milestones();
--> statement-breakpoint
CREATE TRIGGER milestones_kpi_delete AFTER DELETE ON milestones REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_note_milestones();
