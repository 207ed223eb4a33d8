-- cxgov schema snapshot: `manage.py schema_snapshot` writes it (tenants/schema_snapshot.py says why); do not edit.
-- migration contenttypes 0001_initial 35ed8489a147e0b4
-- migration contenttypes 0002_remove_content_type_name 7d36494075750f0e
-- migration auth 0001_initial 845cff319606332f
-- migration auth 0002_alter_permission_name_max_length feaf97e0e8f7d148
-- migration auth 0003_alter_user_email_max_length 9d5657b4db9872dc
-- migration auth 0004_alter_user_username_opts 9538db342c9a9bec
-- migration auth 0005_alter_user_last_login_null 79f60a35dc000fdd
-- migration auth 0006_require_contenttypes_0002 00cb16e3405f14b6
-- migration auth 0007_alter_validators_add_error_messages 115db87dc327530f
-- migration auth 0008_alter_user_username_max_length 02857f65f7d64814
-- migration auth 0009_alter_user_last_name_max_length 19a89500e7f108a7
-- migration auth 0010_alter_group_name_max_length 0963ed6498ac0b3a
-- migration auth 0011_update_proxy_permissions 85a5dde708dc4b61
-- migration auth 0012_alter_user_first_name_max_length 6cefbc9f80903763
-- migration tenants 0001_initial 3a0cd0a014fb8712
-- migration account 0001_initial 6f27ff6bdf57521a
-- migration account 0002_email_max_length c956ab7a3c3660a1
-- migration account 0003_alter_emailaddress_create_unique_verified_email 66b6f1939621bcfa
-- migration account 0004_alter_emailaddress_drop_unique_email ebc6317e90c47d7a
-- migration account 0005_emailaddress_idx_upper_email e7569f1662da1754
-- migration account 0006_emailaddress_lower 54adb08cb3fba66b
-- migration account 0007_emailaddress_idx_email 87fad70bfde8ae29
-- migration account 0008_emailaddress_unique_primary_email_fixup 794bf875bdbef9c4
-- migration account 0009_emailaddress_unique_primary_email 79762cfa7b1e1d7c
-- migration tenants 0002_tenant_perception_gap_threshold 4a16e1b5f2578ecd
-- migration tenants 0003_outbox e7a7c78042cb5cc2
-- migration tenants 0004_outbox_shared_bodies a314a4e021c3285c
-- migration promises 0001_initial ce4727718842f4b5
-- migration metrics 0001_initial d83376b51859c9da
-- migration feedback 0001_initial 2186fee0ac4d04e5
-- migration feedback 0002_signal_import 1009045619c66735
-- migration metrics 0002_rollup_triggers 283c526f25c3cb0f
-- migration metrics 0003_digests 790dee796632017f
-- migration metrics 0004_signal_covering_indexes 85e829ef72888f7c
-- migration metrics 0005_month_rollups aea844d94bd9f2eb
-- migration metrics 0006_rollup_day_indexes c48fe229ab7a1677
-- migration feedback 0003_escalations 1efa78f2ba588031
-- migration tenants 0005_tenant_keys 44aabd7cf0948f35
-- migration tenants 0006_heartbeat_not_audited d997c041c0f2e652
-- migration tenants 0007_webhooks 87d61264bf7c349a
-- migration tenants 0008_webhook_endpoint_chat_kinds 90fd0c2d291d1cd6
-- migration tenants 0009_survey_suppression_days 8c1008f8e57e14aa
-- migration tenants 0010_calendars c77552aa144f565e
-- migration tenants 0011_followup_settings 12b3cdfdd60c0769
-- migration promises 0002_tenant_keys 89577275d7fbd6ae
-- migration promises 0003_measure_kinds_direction_scale d0ea0d537df187ba
-- migration promises 0004_measure_benchmarks 6aedb7ebe5c56c56
-- migration feedback 0004_tenant_keys 43e0325677472900
-- migration feedback 0005_signal_import_heartbeat 12a3588aa667249f
-- migration feedback 0006_service_event_outcome_value accc0267a2813f40
-- migration feedback 0007_signal_audit_per_write ef4d476c185a3820
-- migration feedback 0008_hosted_survey_source 05f1278b2e0c0df1
-- migration feedback 0009_survey_comment_sentiment 2bb02e9aeaa4f9a8
-- migration feedback 0010_calendars_clocks 0b366af770fbfb3f
-- migration feedback 0011_imports_correct fe4c877b349fcdb0
-- migration feedback 0012_import_api_key eeb127d13e48ac68
-- migration metrics 0007_tenant_keys bf87f31548564b0b
-- migration metrics 0008_row_rollup_triggers 9bd3e00a7fcb5580
-- migration metrics 0009_scoring_lock 917f667055c1cbb1
-- migration metrics 0010_rate_average_rollups f2b0f67c02fcda9c
-- migration metrics 0011_score_run_latest_index d530fd283a02554c
-- migration metrics 0012_breach_event_escalation 86f07325998b8539
-- migration metrics 0013_rollups_per_statement 9f14aedeb5d614e5
-- migration metrics 0014_actions 79948191a6f27f10
-- migration metrics 0015_imports_rollups_on_update d423c9f8786c3c81
-- migration mfa 0001_initial a42b6353f2ed5dd7
-- migration mfa 0002_authenticator_timestamps b6566eb07301e2e4
-- migration mfa 0003_authenticator_type_uniq 88550a456154080c
-- migration sessions 0001_initial 2aa438e2393ee513
-- migration surveys 0001_initial e3f8a15ea3fdb9b8
-- migration surveys 0002_survey_links 074c0548d4c72c34
-- migration surveys 0003_followups ad5292612b543f4e
-- migration surveys 0004_distribution e1e6835ffe91adbb
-- migration surveys 0005_followup_reminder 87a252dffbaeab71
-- migration surveys 0006_followup_overdue_notice 8d1abc4532739621
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = 0;
SET LOCAL idle_in_transaction_session_timeout = 0;
SET LOCAL client_encoding = 'UTF8';
SET LOCAL standard_conforming_strings = on;
SET LOCAL check_function_bodies = false;
SET LOCAL xmloption = content;
SET LOCAL client_min_messages = warning;
SET LOCAL row_security = off;
CREATE FUNCTION public.cxgov_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % is not allowed on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE FUNCTION public.cxgov_audit_row() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    hidden text[] := coalesce(TG_ARGV[1:], ARRAY[]::text[]);
    actor jsonb := nullif(current_setting('app.actor', true), '')::jsonb;
    changes jsonb;
BEGIN
    SELECT coalesce(jsonb_object_agg(k, jsonb_build_array(old_row -> k, new_row -> k)), '{}'::jsonb)
      INTO changes
      FROM jsonb_object_keys(coalesce(new_row, old_row)) AS k
     WHERE (old_row -> k) IS DISTINCT FROM (new_row -> k) AND k <> ALL(hidden);
    IF TG_OP = 'UPDATE' AND changes = '{}'::jsonb THEN
        RETURN NULL;
    END IF;
    INSERT INTO tenants_auditevent
        (tenant_id, occurred_at, category, action, actor_kind, actor_id, actor_label,
         model, object_id, changes, request_id, detail)
    VALUES (
        coalesce(new_row ->> 'tenant_id', old_row ->> 'tenant_id')::bigint,
        clock_timestamp(), 'data', lower(TG_OP),
        coalesce(actor ->> 'kind', 'system'), (actor ->> 'id')::bigint, coalesce(actor ->> 'label', ''),
        TG_ARGV[0], coalesce(new_row ->> 'id', old_row ->> 'id'), changes,
        coalesce(current_setting('app.request_id', true), ''), '{}'::jsonb);
    RETURN NULL;
END $$;
CREATE FUNCTION public.metrics_rollups_add(signal_table text, t bigint, measure_ids bigint[], touchpoint_ids bigint[], occurred timestamp with time zone[], scores smallint[], durations bigint[], outcomes boolean[], vals numeric[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    th_measures bigint[];
    th_seconds integer[];
BEGIN
    IF current_setting('cxgov.rollup_locked', true) IS DISTINCT FROM t::text THEN
        PERFORM FROM metrics_rolluplock WHERE tenant_id = t FOR SHARE;
        IF NOT FOUND THEN
            INSERT INTO metrics_rolluplock (tenant_id) VALUES (t) ON CONFLICT (tenant_id) DO NOTHING;
            PERFORM FROM metrics_rolluplock WHERE tenant_id = t FOR SHARE;
        END IF;
        PERFORM set_config('cxgov.rollup_locked', t::text, true);
    END IF;
    IF signal_table = 'feedback_surveyresponse' THEN

    INSERT INTO metrics_surveymonthrollup AS x (tenant_id, measure_id, touchpoint_id, day, n, score_sum, promoters, passives, detractors, satisfied)
    SELECT t, s.measure_id, s.touchpoint_id, date_trunc('month', s.occurred_at AT TIME ZONE 'UTC')::date, count(*), sum(s.score), count(*) FILTER (WHERE s.score >= 9), count(*) FILTER (WHERE s.score BETWEEN 7 AND 8), count(*) FILTER (WHERE s.score <= 6), count(*) FILTER (WHERE s.score >= 4)
      FROM unnest(measure_ids, touchpoint_ids, occurred, scores, durations, outcomes, vals) AS s(measure_id, touchpoint_id, occurred_at, score, duration_seconds, outcome, value)
     GROUP BY 1, 2, 3, 4
     ORDER BY 2, 3, 4
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET n = x.n + EXCLUDED.n, score_sum = x.score_sum + EXCLUDED.score_sum, promoters = x.promoters + EXCLUDED.promoters, passives = x.passives + EXCLUDED.passives, detractors = x.detractors + EXCLUDED.detractors, satisfied = x.satisfied + EXCLUDED.satisfied;
    INSERT INTO metrics_surveyrollup AS x (tenant_id, measure_id, touchpoint_id, day, n, score_sum, promoters, passives, detractors, satisfied)
    SELECT t, s.measure_id, s.touchpoint_id, (s.occurred_at AT TIME ZONE 'UTC')::date, count(*), sum(s.score), count(*) FILTER (WHERE s.score >= 9), count(*) FILTER (WHERE s.score BETWEEN 7 AND 8), count(*) FILTER (WHERE s.score <= 6), count(*) FILTER (WHERE s.score >= 4)
      FROM unnest(measure_ids, touchpoint_ids, occurred, scores, durations, outcomes, vals) AS s(measure_id, touchpoint_id, occurred_at, score, duration_seconds, outcome, value)
     GROUP BY 1, 2, 3, 4
     ORDER BY 2, 3, 4
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET n = x.n + EXCLUDED.n, score_sum = x.score_sum + EXCLUDED.score_sum, promoters = x.promoters + EXCLUDED.promoters, passives = x.passives + EXCLUDED.passives, detractors = x.detractors + EXCLUDED.detractors, satisfied = x.satisfied + EXCLUDED.satisfied;
    ELSIF signal_table = 'feedback_serviceevent' THEN
        SELECT coalesce(array_agg(measure_id ORDER BY measure_id, threshold_seconds), '{}'),
               coalesce(array_agg(threshold_seconds ORDER BY measure_id, threshold_seconds), '{}')
          INTO th_measures, th_seconds
          FROM metrics_durationthreshold WHERE tenant_id = t;

    INSERT INTO metrics_serviceeventmonthrollup AS x (tenant_id, measure_id, touchpoint_id, day, n, outcomes, value_sum)
    SELECT t, s.measure_id, s.touchpoint_id, date_trunc('month', s.occurred_at AT TIME ZONE 'UTC')::date, count(*), count(*) FILTER (WHERE s.outcome), coalesce(sum(s.value), 0)
      FROM unnest(measure_ids, touchpoint_ids, occurred, scores, durations, outcomes, vals) AS s(measure_id, touchpoint_id, occurred_at, score, duration_seconds, outcome, value)
     GROUP BY 1, 2, 3, 4
     ORDER BY 2, 3, 4
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET n = x.n + EXCLUDED.n, outcomes = x.outcomes + EXCLUDED.outcomes, value_sum = x.value_sum + EXCLUDED.value_sum;
    INSERT INTO metrics_serviceeventwithinmonthrollup AS x (tenant_id, measure_id, threshold_seconds, touchpoint_id, day, within)
    SELECT t, s.measure_id, th.threshold_seconds, s.touchpoint_id, date_trunc('month', s.occurred_at AT TIME ZONE 'UTC')::date, count(*)
      FROM unnest(measure_ids, touchpoint_ids, occurred, scores, durations, outcomes, vals) AS s(measure_id, touchpoint_id, occurred_at, score, duration_seconds, outcome, value)
      JOIN unnest(th_measures, th_seconds) AS th(measure_id, threshold_seconds)
        ON th.measure_id = s.measure_id AND s.duration_seconds <= th.threshold_seconds
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 2, 3, 4, 5
    ON CONFLICT (tenant_id, measure_id, threshold_seconds, touchpoint_id, day) DO UPDATE SET within = x.within + EXCLUDED.within;
    INSERT INTO metrics_serviceeventrollup AS x (tenant_id, measure_id, touchpoint_id, day, n, outcomes, value_sum)
    SELECT t, s.measure_id, s.touchpoint_id, (s.occurred_at AT TIME ZONE 'UTC')::date, count(*), count(*) FILTER (WHERE s.outcome), coalesce(sum(s.value), 0)
      FROM unnest(measure_ids, touchpoint_ids, occurred, scores, durations, outcomes, vals) AS s(measure_id, touchpoint_id, occurred_at, score, duration_seconds, outcome, value)
     GROUP BY 1, 2, 3, 4
     ORDER BY 2, 3, 4
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET n = x.n + EXCLUDED.n, outcomes = x.outcomes + EXCLUDED.outcomes, value_sum = x.value_sum + EXCLUDED.value_sum;
    INSERT INTO metrics_serviceeventwithinrollup AS x (tenant_id, measure_id, threshold_seconds, touchpoint_id, day, within)
    SELECT t, s.measure_id, th.threshold_seconds, s.touchpoint_id, (s.occurred_at AT TIME ZONE 'UTC')::date, count(*)
      FROM unnest(measure_ids, touchpoint_ids, occurred, scores, durations, outcomes, vals) AS s(measure_id, touchpoint_id, occurred_at, score, duration_seconds, outcome, value)
      JOIN unnest(th_measures, th_seconds) AS th(measure_id, threshold_seconds)
        ON th.measure_id = s.measure_id AND s.duration_seconds <= th.threshold_seconds
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 2, 3, 4, 5
    ON CONFLICT (tenant_id, measure_id, threshold_seconds, touchpoint_id, day) DO UPDATE SET within = x.within + EXCLUDED.within;
    ELSE
        RAISE EXCEPTION 'metrics_rollups_add: no statement rollups for %', signal_table;
    END IF;
END $$;
CREATE FUNCTION public.metrics_service_event_rollup() RETURNS trigger
    LANGUAGE plpgsql
    AS $$

DECLARE
    r record;
    s record;
    delta bigint;
    the_month date;
    the_day date;
    thresholds integer[];
    threshold integer;
    round_no integer;
BEGIN

    IF TG_OP = 'INSERT' AND current_setting('cxgov.rollups_by_statement', true) = NEW.tenant_id::text THEN
        RETURN NULL;  -- counted once for the whole statement by metrics_rollups_add()
    END IF;
    -- An UPDATE: the old row out (-1), then the new one in (+1).
    FOR round_no IN 1..CASE WHEN TG_OP = 'UPDATE' THEN 2 ELSE 1 END LOOP
    IF TG_OP = 'INSERT' OR round_no = 2 THEN
        r := NEW; delta := 1;
    ELSE
        r := OLD; delta := -1;
    END IF;
    IF current_setting('cxgov.rollup_locked', true) IS DISTINCT FROM r.tenant_id::text THEN
        PERFORM FROM metrics_rolluplock WHERE tenant_id = r.tenant_id FOR SHARE;
        IF NOT FOUND THEN
            INSERT INTO metrics_rolluplock (tenant_id) VALUES (r.tenant_id) ON CONFLICT (tenant_id) DO NOTHING;
            PERFORM FROM metrics_rolluplock WHERE tenant_id = r.tenant_id FOR SHARE;
        END IF;
        PERFORM set_config('cxgov.rollup_locked', r.tenant_id::text, true);
    END IF;

    SELECT coalesce(array_agg(threshold_seconds ORDER BY threshold_seconds), '{}') INTO thresholds
      FROM metrics_durationthreshold
     WHERE tenant_id = r.tenant_id AND measure_id = r.measure_id AND threshold_seconds >= r.duration_seconds;
    the_month := date_trunc('month', r.occurred_at AT TIME ZONE 'UTC')::date;
    the_day := (r.occurred_at AT TIME ZONE 'UTC')::date;

    INSERT INTO metrics_serviceeventmonthrollup AS x (tenant_id, measure_id, touchpoint_id, day, n, outcomes, value_sum)
    VALUES (r.tenant_id, r.measure_id, r.touchpoint_id, the_month, delta,
            CASE WHEN r.outcome THEN delta ELSE 0 END, delta * coalesce(r.value, 0))
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET
        n = x.n + EXCLUDED.n, outcomes = x.outcomes + EXCLUDED.outcomes,
        value_sum = x.value_sum + EXCLUDED.value_sum;
    FOREACH threshold IN ARRAY thresholds LOOP
        INSERT INTO metrics_serviceeventwithinmonthrollup AS x (tenant_id, measure_id, threshold_seconds, touchpoint_id, day, within)
        VALUES (r.tenant_id, r.measure_id, threshold, r.touchpoint_id, the_month, delta)
        ON CONFLICT (tenant_id, measure_id, threshold_seconds, touchpoint_id, day)
            DO UPDATE SET within = x.within + EXCLUDED.within;
    END LOOP;


    INSERT INTO metrics_serviceeventrollup AS x (tenant_id, measure_id, touchpoint_id, day, n, outcomes, value_sum)
    VALUES (r.tenant_id, r.measure_id, r.touchpoint_id, the_day, delta,
            CASE WHEN r.outcome THEN delta ELSE 0 END, delta * coalesce(r.value, 0))
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET
        n = x.n + EXCLUDED.n, outcomes = x.outcomes + EXCLUDED.outcomes,
        value_sum = x.value_sum + EXCLUDED.value_sum;
    FOREACH threshold IN ARRAY thresholds LOOP
        INSERT INTO metrics_serviceeventwithinrollup AS x (tenant_id, measure_id, threshold_seconds, touchpoint_id, day, within)
        VALUES (r.tenant_id, r.measure_id, threshold, r.touchpoint_id, the_day, delta)
        ON CONFLICT (tenant_id, measure_id, threshold_seconds, touchpoint_id, day)
            DO UPDATE SET within = x.within + EXCLUDED.within;
    END LOOP;

    END LOOP;
    RETURN NULL;
END $$;
CREATE FUNCTION public.metrics_story_rollup() RETURNS trigger
    LANGUAGE plpgsql
    AS $$

DECLARE
    r record;
    s record;
    delta bigint;
    the_month date;
    the_day date;
    thresholds integer[];
    threshold integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        r := NEW; delta := 1;
    ELSE
        r := OLD; delta := -1;
    END IF;
    IF current_setting('cxgov.rollup_locked', true) IS DISTINCT FROM r.tenant_id::text THEN
        PERFORM FROM metrics_rolluplock WHERE tenant_id = r.tenant_id FOR SHARE;
        IF NOT FOUND THEN
            INSERT INTO metrics_rolluplock (tenant_id) VALUES (r.tenant_id) ON CONFLICT (tenant_id) DO NOTHING;
            PERFORM FROM metrics_rolluplock WHERE tenant_id = r.tenant_id FOR SHARE;
        END IF;
        PERFORM set_config('cxgov.rollup_locked', r.tenant_id::text, true);
    END IF;

    SELECT touchpoint_id, occurred_at, sentiment INTO s
      FROM feedback_story WHERE tenant_id = r.tenant_id AND id = r.story_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    the_month := date_trunc('month', s.occurred_at AT TIME ZONE 'UTC')::date;
    the_day := (s.occurred_at AT TIME ZONE 'UTC')::date;

    INSERT INTO metrics_storymonthrollup AS x (tenant_id, promise_id, touchpoint_id, day, n, non_negative)
    VALUES (r.tenant_id, r.promise_id, s.touchpoint_id, the_month, delta,
            CASE WHEN s.sentiment >= -0.05 THEN delta ELSE 0 END)
    ON CONFLICT (tenant_id, promise_id, touchpoint_id, day) DO UPDATE SET
        n = x.n + EXCLUDED.n, non_negative = x.non_negative + EXCLUDED.non_negative;


    INSERT INTO metrics_storyrollup AS x (tenant_id, promise_id, touchpoint_id, day, n, non_negative)
    VALUES (r.tenant_id, r.promise_id, s.touchpoint_id, the_day, delta,
            CASE WHEN s.sentiment >= -0.05 THEN delta ELSE 0 END)
    ON CONFLICT (tenant_id, promise_id, touchpoint_id, day) DO UPDATE SET
        n = x.n + EXCLUDED.n, non_negative = x.non_negative + EXCLUDED.non_negative;

    RETURN NULL;
END $$;
CREATE FUNCTION public.metrics_survey_rollup() RETURNS trigger
    LANGUAGE plpgsql
    AS $$

DECLARE
    r record;
    s record;
    delta bigint;
    the_month date;
    the_day date;
    thresholds integer[];
    threshold integer;
    round_no integer;
BEGIN

    IF TG_OP = 'INSERT' AND current_setting('cxgov.rollups_by_statement', true) = NEW.tenant_id::text THEN
        RETURN NULL;  -- counted once for the whole statement by metrics_rollups_add()
    END IF;
    -- An UPDATE: the old row out (-1), then the new one in (+1).
    FOR round_no IN 1..CASE WHEN TG_OP = 'UPDATE' THEN 2 ELSE 1 END LOOP
    IF TG_OP = 'INSERT' OR round_no = 2 THEN
        r := NEW; delta := 1;
    ELSE
        r := OLD; delta := -1;
    END IF;
    IF current_setting('cxgov.rollup_locked', true) IS DISTINCT FROM r.tenant_id::text THEN
        PERFORM FROM metrics_rolluplock WHERE tenant_id = r.tenant_id FOR SHARE;
        IF NOT FOUND THEN
            INSERT INTO metrics_rolluplock (tenant_id) VALUES (r.tenant_id) ON CONFLICT (tenant_id) DO NOTHING;
            PERFORM FROM metrics_rolluplock WHERE tenant_id = r.tenant_id FOR SHARE;
        END IF;
        PERFORM set_config('cxgov.rollup_locked', r.tenant_id::text, true);
    END IF;

    the_month := date_trunc('month', r.occurred_at AT TIME ZONE 'UTC')::date;
    the_day := (r.occurred_at AT TIME ZONE 'UTC')::date;

    INSERT INTO metrics_surveymonthrollup AS x
        (tenant_id, measure_id, touchpoint_id, day, n, score_sum, promoters, passives, detractors, satisfied)
    VALUES (r.tenant_id, r.measure_id, r.touchpoint_id, the_month, delta, delta * r.score,
            CASE WHEN r.score >= 9 THEN delta ELSE 0 END,
            CASE WHEN r.score BETWEEN 7 AND 8 THEN delta ELSE 0 END,
            CASE WHEN r.score <= 6 THEN delta ELSE 0 END,
            CASE WHEN r.score >= 4 THEN delta ELSE 0 END)
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET
        n = x.n + EXCLUDED.n, score_sum = x.score_sum + EXCLUDED.score_sum,
        promoters = x.promoters + EXCLUDED.promoters, passives = x.passives + EXCLUDED.passives,
        detractors = x.detractors + EXCLUDED.detractors, satisfied = x.satisfied + EXCLUDED.satisfied;


    INSERT INTO metrics_surveyrollup AS x
        (tenant_id, measure_id, touchpoint_id, day, n, score_sum, promoters, passives, detractors, satisfied)
    VALUES (r.tenant_id, r.measure_id, r.touchpoint_id, the_day, delta, delta * r.score,
            CASE WHEN r.score >= 9 THEN delta ELSE 0 END,
            CASE WHEN r.score BETWEEN 7 AND 8 THEN delta ELSE 0 END,
            CASE WHEN r.score <= 6 THEN delta ELSE 0 END,
            CASE WHEN r.score >= 4 THEN delta ELSE 0 END)
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET
        n = x.n + EXCLUDED.n, score_sum = x.score_sum + EXCLUDED.score_sum,
        promoters = x.promoters + EXCLUDED.promoters, passives = x.passives + EXCLUDED.passives,
        detractors = x.detractors + EXCLUDED.detractors, satisfied = x.satisfied + EXCLUDED.satisfied;

    END LOOP;
    RETURN NULL;
END $$;
SET LOCAL default_tablespace = '';
SET LOCAL default_table_access_method = heap;
CREATE TABLE public.account_emailaddress (
    id integer NOT NULL,
    email character varying(254) NOT NULL,
    verified boolean NOT NULL,
    "primary" boolean NOT NULL,
    user_id bigint NOT NULL
);
ALTER TABLE public.account_emailaddress ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.account_emailaddress_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.account_emailconfirmation (
    id integer NOT NULL,
    created timestamp with time zone NOT NULL,
    sent timestamp with time zone,
    key character varying(64) NOT NULL,
    email_address_id integer NOT NULL
);
ALTER TABLE public.account_emailconfirmation ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.account_emailconfirmation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.auth_group (
    id integer NOT NULL,
    name character varying(150) NOT NULL
);
ALTER TABLE public.auth_group ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.auth_group_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.auth_group_permissions (
    id bigint NOT NULL,
    group_id integer NOT NULL,
    permission_id integer NOT NULL
);
ALTER TABLE public.auth_group_permissions ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.auth_group_permissions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.auth_permission (
    id integer NOT NULL,
    name character varying(255) NOT NULL,
    content_type_id integer NOT NULL,
    codename character varying(100) NOT NULL
);
ALTER TABLE public.auth_permission ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.auth_permission_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.django_content_type (
    id integer NOT NULL,
    app_label character varying(100) NOT NULL,
    model character varying(100) NOT NULL
);
ALTER TABLE public.django_content_type ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.django_content_type_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.django_migrations (
    id bigint NOT NULL,
    app character varying(255) NOT NULL,
    name character varying(255) NOT NULL,
    applied timestamp with time zone NOT NULL
);
ALTER TABLE public.django_migrations ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.django_migrations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.django_session (
    session_key character varying(40) NOT NULL,
    session_data text NOT NULL,
    expire_date timestamp with time zone NOT NULL
);
CREATE TABLE public.feedback_escalation (
    id bigint NOT NULL,
    title character varying(300) NOT NULL,
    description text NOT NULL,
    severity character varying(8) NOT NULL,
    state character varying(16) NOT NULL,
    breach_event_id bigint,
    breach jsonb NOT NULL,
    proposer_kind character varying(8) NOT NULL,
    resolution text NOT NULL,
    proposed_at timestamp with time zone NOT NULL,
    decision_due_at timestamp with time zone NOT NULL,
    decided_at timestamp with time zone,
    resolution_due_at timestamp with time zone,
    resolved_at timestamp with time zone,
    closed_at timestamp with time zone,
    overdue_level smallint NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    department_id bigint NOT NULL,
    owner_id bigint,
    promise_id bigint,
    proposed_by_id bigint,
    proposed_by_key_id bigint,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint,
    reminder_at timestamp with time zone,
    CONSTRAINT escalation_overdue_level_range CHECK ((overdue_level <= 2)),
    CONSTRAINT feedback_escalation_overdue_level_check CHECK ((overdue_level >= 0))
);
ALTER TABLE ONLY public.feedback_escalation FORCE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_escalation ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_escalation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.feedback_escalationentry (
    id bigint NOT NULL,
    kind character varying(16) NOT NULL,
    from_state character varying(16) NOT NULL,
    to_state character varying(16) NOT NULL,
    actor_kind character varying(8) NOT NULL,
    actor_label character varying(254) NOT NULL,
    note text NOT NULL,
    level smallint,
    created_at timestamp with time zone NOT NULL,
    actor_id bigint,
    escalation_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    CONSTRAINT feedback_escalationentry_level_check CHECK ((level >= 0))
);
ALTER TABLE ONLY public.feedback_escalationentry FORCE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_escalationentry ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_escalationentry_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.feedback_escalationevidence (
    id bigint NOT NULL,
    added_at timestamp with time zone NOT NULL,
    escalation_id bigint NOT NULL,
    story_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.feedback_escalationevidence FORCE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_escalationevidence ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_escalationevidence_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.feedback_escalationsettings (
    id bigint NOT NULL,
    auto_from_stories boolean NOT NULL,
    story_sentiment_threshold double precision NOT NULL,
    auto_from_breaches boolean NOT NULL,
    critical_decision_hours integer NOT NULL,
    critical_resolution_hours integer NOT NULL,
    high_decision_hours integer NOT NULL,
    high_resolution_hours integer NOT NULL,
    medium_decision_hours integer NOT NULL,
    medium_resolution_hours integer NOT NULL,
    low_decision_hours integer NOT NULL,
    low_resolution_hours integer NOT NULL,
    admin_after_hours integer NOT NULL,
    auto_close_days integer NOT NULL,
    tenant_id bigint NOT NULL,
    CONSTRAINT escalation_settings_threshold_range CHECK (((story_sentiment_threshold >= ('-1.0'::numeric)::double precision) AND (story_sentiment_threshold <= (1.0)::double precision))),
    CONSTRAINT feedback_escalationsettings_admin_after_hours_check CHECK ((admin_after_hours >= 0)),
    CONSTRAINT feedback_escalationsettings_auto_close_days_check CHECK ((auto_close_days >= 0)),
    CONSTRAINT feedback_escalationsettings_critical_decision_hours_check CHECK ((critical_decision_hours >= 0)),
    CONSTRAINT feedback_escalationsettings_critical_resolution_hours_check CHECK ((critical_resolution_hours >= 0)),
    CONSTRAINT feedback_escalationsettings_high_decision_hours_check CHECK ((high_decision_hours >= 0)),
    CONSTRAINT feedback_escalationsettings_high_resolution_hours_check CHECK ((high_resolution_hours >= 0)),
    CONSTRAINT feedback_escalationsettings_low_decision_hours_check CHECK ((low_decision_hours >= 0)),
    CONSTRAINT feedback_escalationsettings_low_resolution_hours_check CHECK ((low_resolution_hours >= 0)),
    CONSTRAINT feedback_escalationsettings_medium_decision_hours_check CHECK ((medium_decision_hours >= 0)),
    CONSTRAINT feedback_escalationsettings_medium_resolution_hours_check CHECK ((medium_resolution_hours >= 0))
);
ALTER TABLE ONLY public.feedback_escalationsettings FORCE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_escalationsettings ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_escalationsettings_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.feedback_idempotencyrecord (
    id bigint NOT NULL,
    key character varying(255) NOT NULL,
    request_hash character varying(64) NOT NULL,
    response_status smallint NOT NULL,
    response_body jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    api_key_id bigint,
    tenant_id bigint NOT NULL,
    CONSTRAINT feedback_idempotencyrecord_response_status_check CHECK ((response_status >= 0))
);
ALTER TABLE ONLY public.feedback_idempotencyrecord FORCE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_idempotencyrecord ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_idempotencyrecord_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.feedback_serviceevent (
    id bigint NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    source_kind character varying(16) NOT NULL,
    source_id bigint NOT NULL,
    external_id character varying(200),
    created_at timestamp with time zone NOT NULL,
    duration_seconds bigint,
    measure_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint NOT NULL,
    outcome boolean,
    value numeric(9,3),
    CONSTRAINT service_event_duration_positive CHECK ((duration_seconds >= 0)),
    CONSTRAINT service_event_one_fact CHECK ((((duration_seconds IS NOT NULL) AND (outcome IS NULL) AND (value IS NULL)) OR ((duration_seconds IS NULL) AND (outcome IS NOT NULL) AND (value IS NULL)) OR ((duration_seconds IS NULL) AND (outcome IS NULL) AND (value IS NOT NULL))))
);
ALTER TABLE ONLY public.feedback_serviceevent FORCE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_serviceevent ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_serviceevent_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.feedback_signalimport (
    id bigint NOT NULL,
    kind character varying(20) NOT NULL,
    file_name character varying(255) NOT NULL,
    content text NOT NULL,
    status character varying(8) NOT NULL,
    total_rows integer NOT NULL,
    processed_rows integer NOT NULL,
    created_count integer NOT NULL,
    unchanged_count integer NOT NULL,
    rejected_count integer NOT NULL,
    report jsonb NOT NULL,
    error text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    created_by_id bigint,
    tenant_id bigint NOT NULL,
    heartbeat_at timestamp with time zone NOT NULL,
    updated_count integer NOT NULL,
    api_key_id bigint,
    CONSTRAINT feedback_signalimport_created_count_check CHECK ((created_count >= 0)),
    CONSTRAINT feedback_signalimport_duplicate_count_check CHECK ((unchanged_count >= 0)),
    CONSTRAINT feedback_signalimport_processed_rows_check CHECK ((processed_rows >= 0)),
    CONSTRAINT feedback_signalimport_rejected_count_check CHECK ((rejected_count >= 0)),
    CONSTRAINT feedback_signalimport_total_rows_check CHECK ((total_rows >= 0)),
    CONSTRAINT feedback_signalimport_updated_count_check CHECK ((updated_count >= 0))
);
ALTER TABLE ONLY public.feedback_signalimport FORCE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_signalimport ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_signalimport_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.feedback_story (
    id bigint NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    source_kind character varying(16) NOT NULL,
    source_id bigint NOT NULL,
    external_id character varying(200),
    created_at timestamp with time zone NOT NULL,
    text text NOT NULL,
    segment character varying(120) NOT NULL,
    severity character varying(8) NOT NULL,
    channel character varying(16) NOT NULL,
    sentiment double precision NOT NULL,
    department_id bigint,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint NOT NULL,
    CONSTRAINT story_sentiment_range CHECK (((sentiment >= ('-1.0'::numeric)::double precision) AND (sentiment <= (1.0)::double precision)))
);
ALTER TABLE ONLY public.feedback_story FORCE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_story ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_story_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.feedback_storypromise (
    id bigint NOT NULL,
    promise_id bigint NOT NULL,
    story_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.feedback_storypromise FORCE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_storypromise ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_storypromise_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.feedback_surveyresponse (
    id bigint NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    source_kind character varying(16) NOT NULL,
    source_id bigint NOT NULL,
    external_id character varying(200),
    created_at timestamp with time zone NOT NULL,
    score smallint NOT NULL,
    segment jsonb NOT NULL,
    respondent_ref character varying(120) NOT NULL,
    comment text NOT NULL,
    measure_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint,
    comment_sentiment double precision,
    CONSTRAINT survey_response_comment_sentiment_range CHECK (((comment_sentiment >= ('-1.0'::numeric)::double precision) AND (comment_sentiment <= (1.0)::double precision))),
    CONSTRAINT survey_response_score_range CHECK (((score >= 0) AND (score <= 10)))
);
ALTER TABLE ONLY public.feedback_surveyresponse FORCE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_surveyresponse ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.feedback_surveyresponse_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_action (
    id bigint NOT NULL,
    title character varying(300) NOT NULL,
    due_on date NOT NULL,
    status character varying(16) NOT NULL,
    notes text NOT NULL,
    done_at timestamp with time zone,
    reminded_before date,
    reminded_due date,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    breach_event_id bigint,
    commitment_id bigint,
    created_by_id bigint,
    department_id bigint NOT NULL,
    escalation_id bigint,
    owner_id bigint NOT NULL,
    promise_id bigint,
    tenant_id bigint NOT NULL,
    CONSTRAINT action_done_at_when_done CHECK ((((done_at IS NOT NULL) AND ((status)::text = 'done'::text)) OR ((NOT ((status)::text = 'done'::text)) AND (done_at IS NULL)))),
    CONSTRAINT action_has_subject CHECK (((promise_id IS NOT NULL) OR (escalation_id IS NOT NULL) OR (breach_event_id IS NOT NULL)))
);
ALTER TABLE ONLY public.metrics_action FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_action ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_action_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_breachevent (
    id bigint NOT NULL,
    kind character varying(24) NOT NULL,
    scope character varying(16) NOT NULL,
    scope_id bigint,
    title character varying(300) NOT NULL,
    previous_value double precision,
    current_value double precision,
    details jsonb NOT NULL,
    as_of timestamp with time zone NOT NULL,
    detected_at timestamp with time zone NOT NULL,
    resolved_at timestamp with time zone,
    commitment_id bigint,
    department_id bigint,
    promise_id bigint,
    tenant_id bigint NOT NULL,
    run_id bigint,
    escalation_id bigint
);
ALTER TABLE ONLY public.metrics_breachevent FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_breachevent ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_breachevent_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_departmentdigest (
    id bigint NOT NULL,
    is_enabled boolean NOT NULL,
    department_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.metrics_departmentdigest FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_departmentdigest ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_departmentdigest_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_digest (
    id bigint NOT NULL,
    period_key character varying(40) NOT NULL,
    period_start timestamp with time zone NOT NULL,
    period_end timestamp with time zone NOT NULL,
    period_label character varying(80) NOT NULL,
    recipients integer NOT NULL,
    outbox_prefix character varying(120) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    department_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    CONSTRAINT metrics_digest_recipients_check CHECK ((recipients >= 0))
);
ALTER TABLE ONLY public.metrics_digest FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_digest ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_digest_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_digestoptout (
    id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    department_id bigint NOT NULL,
    membership_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.metrics_digestoptout FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_digestoptout ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_digestoptout_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_digestsettings (
    id bigint NOT NULL,
    is_enabled boolean NOT NULL,
    cadence character varying(8) NOT NULL,
    weekday smallint NOT NULL,
    send_hour smallint NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    tenant_id bigint NOT NULL,
    CONSTRAINT digest_settings_hour_range CHECK ((send_hour <= 23)),
    CONSTRAINT digest_settings_weekday_range CHECK ((weekday <= 6)),
    CONSTRAINT metrics_digestsettings_send_hour_check CHECK ((send_hour >= 0)),
    CONSTRAINT metrics_digestsettings_weekday_check CHECK ((weekday >= 0))
);
ALTER TABLE ONLY public.metrics_digestsettings FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_digestsettings ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_digestsettings_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_digestsubscriber (
    id bigint NOT NULL,
    email character varying(254) NOT NULL,
    is_active boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    added_by_id bigint,
    department_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.metrics_digestsubscriber FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_digestsubscriber ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_digestsubscriber_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_durationthreshold (
    id bigint NOT NULL,
    threshold_seconds integer NOT NULL,
    registered_at timestamp with time zone NOT NULL,
    measure_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    CONSTRAINT metrics_durationthreshold_threshold_seconds_check CHECK ((threshold_seconds >= 0))
);
ALTER TABLE ONLY public.metrics_durationthreshold FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_durationthreshold ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_durationthreshold_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_rolluplock (
    id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT statement_timestamp() NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.metrics_rolluplock FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_rolluplock ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_rolluplock_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_scorerun (
    id bigint NOT NULL,
    kind character varying(16) NOT NULL,
    source character varying(8) NOT NULL,
    as_of timestamp with time zone NOT NULL,
    computed_at timestamp with time zone NOT NULL,
    duration_ms integer NOT NULL,
    result jsonb NOT NULL,
    tenant_id bigint NOT NULL,
    CONSTRAINT metrics_scorerun_duration_ms_check CHECK ((duration_ms >= 0))
);
ALTER TABLE ONLY public.metrics_scorerun FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_scorerun ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_scorerun_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_scoresnapshot (
    id bigint NOT NULL,
    kind character varying(16) NOT NULL,
    as_of timestamp with time zone NOT NULL,
    scope character varying(16) NOT NULL,
    scope_id bigint,
    score double precision,
    delivery_rate double precision,
    n bigint,
    "values" jsonb NOT NULL,
    run_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.metrics_scoresnapshot FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_scoresnapshot ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_scoresnapshot_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_scoringlock (
    id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.metrics_scoringlock FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_scoringlock ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_scoringlock_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_serviceeventmonthrollup (
    id bigint NOT NULL,
    day date NOT NULL,
    n bigint NOT NULL,
    measure_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint NOT NULL,
    outcomes bigint DEFAULT 0 NOT NULL,
    value_sum numeric(24,3) DEFAULT 0 NOT NULL
);
ALTER TABLE ONLY public.metrics_serviceeventmonthrollup FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_serviceeventmonthrollup ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_serviceeventmonthrollup_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_serviceeventrollup (
    id bigint NOT NULL,
    day date NOT NULL,
    n bigint NOT NULL,
    measure_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint NOT NULL,
    outcomes bigint DEFAULT 0 NOT NULL,
    value_sum numeric(24,3) DEFAULT 0 NOT NULL
);
ALTER TABLE ONLY public.metrics_serviceeventrollup FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_serviceeventrollup ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_serviceeventrollup_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_serviceeventwithinmonthrollup (
    id bigint NOT NULL,
    day date NOT NULL,
    threshold_seconds integer NOT NULL,
    within bigint NOT NULL,
    measure_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint NOT NULL,
    CONSTRAINT metrics_serviceeventwithinmonthrollup_threshold_seconds_check CHECK ((threshold_seconds >= 0))
);
ALTER TABLE ONLY public.metrics_serviceeventwithinmonthrollup FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_serviceeventwithinmonthrollup ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_serviceeventwithinmonthrollup_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_serviceeventwithinrollup (
    id bigint NOT NULL,
    day date NOT NULL,
    threshold_seconds integer NOT NULL,
    within bigint NOT NULL,
    measure_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint NOT NULL,
    CONSTRAINT metrics_serviceeventwithinrollup_threshold_seconds_check CHECK ((threshold_seconds >= 0))
);
ALTER TABLE ONLY public.metrics_serviceeventwithinrollup FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_serviceeventwithinrollup ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_serviceeventwithinrollup_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_storymonthrollup (
    id bigint NOT NULL,
    day date NOT NULL,
    n bigint NOT NULL,
    non_negative bigint NOT NULL,
    promise_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint NOT NULL
);
ALTER TABLE ONLY public.metrics_storymonthrollup FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_storymonthrollup ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_storymonthrollup_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_storyrollup (
    id bigint NOT NULL,
    day date NOT NULL,
    n bigint NOT NULL,
    non_negative bigint NOT NULL,
    promise_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint NOT NULL
);
ALTER TABLE ONLY public.metrics_storyrollup FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_storyrollup ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_storyrollup_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_surveymonthrollup (
    id bigint NOT NULL,
    day date NOT NULL,
    n bigint NOT NULL,
    score_sum bigint NOT NULL,
    promoters bigint NOT NULL,
    passives bigint NOT NULL,
    detractors bigint NOT NULL,
    satisfied bigint NOT NULL,
    measure_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint
);
ALTER TABLE ONLY public.metrics_surveymonthrollup FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_surveymonthrollup ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_surveymonthrollup_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.metrics_surveyrollup (
    id bigint NOT NULL,
    day date NOT NULL,
    n bigint NOT NULL,
    score_sum bigint NOT NULL,
    promoters bigint NOT NULL,
    passives bigint NOT NULL,
    detractors bigint NOT NULL,
    satisfied bigint NOT NULL,
    measure_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint
);
ALTER TABLE ONLY public.metrics_surveyrollup FORCE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_surveyrollup ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.metrics_surveyrollup_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.mfa_authenticator (
    id bigint NOT NULL,
    type character varying(20) NOT NULL,
    data jsonb NOT NULL,
    user_id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone
);
ALTER TABLE public.mfa_authenticator ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.mfa_authenticator_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.promises_commitment (
    id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    created_by_id bigint,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint,
    measure_id bigint NOT NULL,
    promise_id bigint NOT NULL
);
ALTER TABLE ONLY public.promises_commitment FORCE ROW LEVEL SECURITY;
ALTER TABLE public.promises_commitment ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.promises_commitment_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.promises_commitmentversion (
    id bigint NOT NULL,
    number integer NOT NULL,
    target numeric(9,3) NOT NULL,
    threshold_seconds integer,
    window_days smallint NOT NULL,
    min_sample integer NOT NULL,
    weight numeric(8,3) NOT NULL,
    effective_from timestamp with time zone,
    effective_to timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    commitment_id bigint NOT NULL,
    created_by_id bigint,
    tenant_id bigint NOT NULL,
    CONSTRAINT commitment_version_effective_order CHECK (((effective_to IS NULL) OR ((effective_from IS NOT NULL) AND (effective_to >= effective_from)))),
    CONSTRAINT commitment_version_min_sample CHECK ((min_sample >= 1)),
    CONSTRAINT commitment_version_threshold_positive CHECK (((threshold_seconds IS NULL) OR (threshold_seconds > 0))),
    CONSTRAINT commitment_version_weight_positive CHECK ((weight > (0)::numeric)),
    CONSTRAINT commitment_version_window_range CHECK (((window_days >= 1) AND (window_days <= 730))),
    CONSTRAINT promises_commitmentversion_min_sample_check CHECK ((min_sample >= 0)),
    CONSTRAINT promises_commitmentversion_number_check CHECK ((number >= 0)),
    CONSTRAINT promises_commitmentversion_threshold_seconds_check CHECK ((threshold_seconds >= 0)),
    CONSTRAINT promises_commitmentversion_window_days_check CHECK ((window_days >= 0))
);
ALTER TABLE ONLY public.promises_commitmentversion FORCE ROW LEVEL SECURITY;
ALTER TABLE public.promises_commitmentversion ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.promises_commitmentversion_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.promises_measure (
    id bigint NOT NULL,
    key character varying(50) NOT NULL,
    name character varying(120) NOT NULL,
    kind character varying(16) NOT NULL,
    unit character varying(8) NOT NULL,
    is_builtin boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    tenant_id bigint NOT NULL,
    direction character varying(16) NOT NULL,
    perspective character varying(16) NOT NULL,
    scale_max numeric(9,3),
    scale_min numeric(9,3),
    CONSTRAINT measure_builtin_or_tenant_kind CHECK ((((NOT is_builtin) AND ((kind)::text = ANY ((ARRAY['duration'::character varying, 'rate'::character varying, 'average'::character varying])::text[]))) OR (is_builtin AND ((key)::text = ANY ((ARRAY['ces'::character varying, 'csat'::character varying, 'nps'::character varying, 'story_sentiment'::character varying])::text[]))))),
    CONSTRAINT measure_direction_perspective_known CHECK ((((direction)::text = ANY ((ARRAY['higher_is_better'::character varying, 'lower_is_better'::character varying])::text[])) AND ((perspective)::text = ANY ((ARRAY['operational'::character varying, 'perceived'::character varying])::text[])))),
    CONSTRAINT measure_scale_matches_kind CHECK (((((kind)::text = 'average'::text) AND (scale_max IS NOT NULL) AND (scale_min IS NOT NULL) AND (scale_min < scale_max)) OR ((NOT ((kind)::text = 'average'::text)) AND (scale_max IS NULL) AND (scale_min IS NULL)))),
    CONSTRAINT measure_unit_matches_kind CHECK (((((kind)::text = 'duration'::text) AND ((unit)::text = ANY ((ARRAY['hours'::character varying, 'days'::character varying])::text[]))) OR ((NOT ((kind)::text = 'duration'::text)) AND ((unit)::text = ''::text))))
);
ALTER TABLE ONLY public.promises_measure FORCE ROW LEVEL SECURITY;
ALTER TABLE public.promises_measure ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.promises_measure_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.promises_measurebenchmark (
    id bigint NOT NULL,
    label character varying(80) NOT NULL,
    value numeric(9,3) NOT NULL,
    source character varying(200) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    measure_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.promises_measurebenchmark FORCE ROW LEVEL SECURITY;
ALTER TABLE public.promises_measurebenchmark ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.promises_measurebenchmark_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.promises_promise (
    id bigint NOT NULL,
    kind character varying(16) NOT NULL,
    slug character varying(120) NOT NULL,
    title character varying(200) NOT NULL,
    statement text NOT NULL,
    benefits text NOT NULL,
    quality_standards text NOT NULL,
    intended_feeling text NOT NULL,
    version integer NOT NULL,
    weight numeric(8,3) NOT NULL,
    status character varying(16) NOT NULL,
    review_round integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    submitted_at timestamp with time zone,
    activated_at timestamp with time zone,
    retired_at timestamp with time zone,
    created_by_id bigint,
    owner_id bigint NOT NULL,
    parent_id bigint,
    tenant_id bigint NOT NULL,
    CONSTRAINT promise_parent_only_customer CHECK (((parent_id IS NULL) OR ((kind)::text = 'customer'::text))),
    CONSTRAINT promise_weight_positive CHECK ((weight > (0)::numeric)),
    CONSTRAINT promises_promise_review_round_check CHECK ((review_round >= 0)),
    CONSTRAINT promises_promise_version_check CHECK ((version >= 0))
);
ALTER TABLE ONLY public.promises_promise FORCE ROW LEVEL SECURITY;
ALTER TABLE public.promises_promise ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.promises_promise_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.promises_promisecontributor (
    id bigint NOT NULL,
    department_id bigint NOT NULL,
    promise_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.promises_promisecontributor FORCE ROW LEVEL SECURITY;
ALTER TABLE public.promises_promisecontributor ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.promises_promisecontributor_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.promises_promiseversion (
    id bigint NOT NULL,
    number integer NOT NULL,
    title character varying(200) NOT NULL,
    statement text NOT NULL,
    benefits text NOT NULL,
    quality_standards text NOT NULL,
    intended_feeling text NOT NULL,
    note character varying(500) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    created_by_id bigint,
    promise_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    CONSTRAINT promises_promiseversion_number_check CHECK ((number >= 0))
);
ALTER TABLE ONLY public.promises_promiseversion FORCE ROW LEVEL SECURITY;
ALTER TABLE public.promises_promiseversion ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.promises_promiseversion_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.promises_signoff (
    id bigint NOT NULL,
    review_round integer NOT NULL,
    status character varying(20) NOT NULL,
    comment text NOT NULL,
    decided_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    decided_by_id bigint,
    department_id bigint NOT NULL,
    promise_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    CONSTRAINT promises_signoff_review_round_check CHECK ((review_round >= 0)),
    CONSTRAINT sign_off_decided_at_iff_decided CHECK ((((decided_at IS NULL) AND ((status)::text = 'pending'::text)) OR ((NOT ((status)::text = 'pending'::text)) AND (decided_at IS NOT NULL))))
);
ALTER TABLE ONLY public.promises_signoff FORCE ROW LEVEL SECURITY;
ALTER TABLE public.promises_signoff ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.promises_signoff_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.surveys_followup (
    id bigint NOT NULL,
    response_id bigint NOT NULL,
    measure_key character varying(8) NOT NULL,
    score smallint NOT NULL,
    reason text NOT NULL,
    language character varying(8) NOT NULL,
    consented_at timestamp with time zone,
    contact_email character varying(254) NOT NULL,
    contact_phone character varying(32) NOT NULL,
    due_at timestamp with time zone NOT NULL,
    status character varying(8) NOT NULL,
    outcome character varying(16) NOT NULL,
    note text NOT NULL,
    closed_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    closed_by_id bigint,
    department_id bigint NOT NULL,
    owner_id bigint,
    survey_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint NOT NULL,
    reminder_at timestamp with time zone,
    overdue_notified_at timestamp with time zone,
    CONSTRAINT followup_closed_has_outcome CHECK ((((closed_at IS NULL) AND ((outcome)::text = ''::text) AND ((status)::text = 'open'::text)) OR ((closed_at IS NOT NULL) AND ((status)::text = 'closed'::text) AND (NOT ((outcome)::text = ''::text)))))
);
ALTER TABLE ONLY public.surveys_followup FORCE ROW LEVEL SECURITY;
ALTER TABLE public.surveys_followup ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.surveys_followup_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.surveys_survey (
    id bigint NOT NULL,
    name character varying(120) NOT NULL,
    asks_reason boolean NOT NULL,
    asks_consent boolean NOT NULL,
    thank_you text NOT NULL,
    token character varying(43) NOT NULL,
    is_active boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    created_by_id bigint,
    department_id bigint NOT NULL,
    measure_id bigint NOT NULL,
    promise_id bigint,
    tenant_id bigint NOT NULL,
    touchpoint_id bigint NOT NULL,
    unhappy_at_most smallint,
    embed_origins jsonb NOT NULL,
    wording jsonb NOT NULL
);
ALTER TABLE ONLY public.surveys_survey FORCE ROW LEVEL SECURITY;
ALTER TABLE public.surveys_survey ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.surveys_survey_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.surveys_surveylink (
    id bigint NOT NULL,
    token character varying(43) NOT NULL,
    respondent_ref character varying(120) NOT NULL,
    segment jsonb NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    answered_at timestamp with time zone,
    response_id bigint,
    created_at timestamp with time zone NOT NULL,
    survey_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.surveys_surveylink FORCE ROW LEVEL SECURITY;
ALTER TABLE public.surveys_surveylink ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.surveys_surveylink_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_apikey (
    id bigint NOT NULL,
    name character varying(120) NOT NULL,
    prefix character varying(32) NOT NULL,
    secret_hash character varying(128) NOT NULL,
    scopes jsonb NOT NULL,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    last_used_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    created_by_id bigint,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.tenants_apikey FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_apikey ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_apikey_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_auditevent (
    id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT statement_timestamp() NOT NULL,
    category character varying(16) NOT NULL,
    action character varying(64) NOT NULL,
    actor_kind character varying(16) NOT NULL,
    actor_id bigint,
    actor_label character varying(254) NOT NULL,
    model character varying(100) NOT NULL,
    object_id character varying(64) NOT NULL,
    changes jsonb NOT NULL,
    request_id character varying(64) NOT NULL,
    detail jsonb NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.tenants_auditevent FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_auditevent ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_auditevent_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_businesscalendar (
    id bigint NOT NULL,
    weekly_hours jsonb NOT NULL,
    country character varying(2) NOT NULL,
    subdivision character varying(10) NOT NULL,
    closed_dates jsonb NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    department_id bigint,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.tenants_businesscalendar FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_businesscalendar ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_businesscalendar_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_department (
    id bigint NOT NULL,
    name character varying(120) NOT NULL,
    slug character varying(120) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.tenants_department FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_department ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_department_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_invitation (
    id bigint NOT NULL,
    email character varying(254) NOT NULL,
    role character varying(16) NOT NULL,
    department_ids jsonb NOT NULL,
    token_hash character varying(128) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    accepted_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    invited_by_id bigint,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.tenants_invitation FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_invitation ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_invitation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_membership (
    id bigint NOT NULL,
    role character varying(16) NOT NULL,
    is_active boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    user_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.tenants_membership FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_membership ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_membership_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_membershipdepartment (
    id bigint NOT NULL,
    department_id bigint NOT NULL,
    membership_id bigint NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.tenants_membershipdepartment FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_membershipdepartment ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_membershipdepartment_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_outboxbody (
    id bigint NOT NULL,
    key character varying(255) NOT NULL,
    text text NOT NULL,
    html text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.tenants_outboxbody FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_outboxbody ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_outboxbody_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_outboxmessage (
    id bigint NOT NULL,
    kind character varying(32) NOT NULL,
    dedupe_key character varying(255) NOT NULL,
    to_email character varying(254) NOT NULL,
    subject character varying(255) NOT NULL,
    body_text text NOT NULL,
    body_html text NOT NULL,
    headers jsonb NOT NULL,
    message_id character varying(255) NOT NULL,
    status character varying(8) NOT NULL,
    attempts smallint NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT statement_timestamp() NOT NULL,
    last_error text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    tenant_id bigint NOT NULL,
    fill jsonb NOT NULL,
    body_id bigint,
    CONSTRAINT tenants_outboxmessage_attempts_check CHECK ((attempts >= 0))
);
ALTER TABLE ONLY public.tenants_outboxmessage FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_outboxmessage ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_outboxmessage_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_tenant (
    id bigint NOT NULL,
    slug character varying(40) NOT NULL,
    name character varying(200) NOT NULL,
    time_zone character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    perception_gap_threshold numeric(5,2) NOT NULL,
    survey_suppression_days smallint NOT NULL,
    business_hours_clocks boolean NOT NULL,
    clock_reminder_percent smallint NOT NULL,
    score_drop_points numeric(5,2) NOT NULL,
    score_drop_window_days smallint NOT NULL,
    followup_due_hours smallint NOT NULL,
    CONSTRAINT tenants_tenant_clock_reminder_percent_check CHECK ((clock_reminder_percent >= 0)),
    CONSTRAINT tenants_tenant_followup_due_hours_check CHECK ((followup_due_hours >= 0)),
    CONSTRAINT tenants_tenant_score_drop_window_days_check CHECK ((score_drop_window_days >= 0)),
    CONSTRAINT tenants_tenant_survey_suppression_days_check CHECK ((survey_suppression_days >= 0))
);
ALTER TABLE public.tenants_tenant ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_tenant_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_tenantheartbeat (
    id bigint NOT NULL,
    last_seen timestamp with time zone NOT NULL,
    beats bigint NOT NULL,
    tenant_id bigint NOT NULL,
    CONSTRAINT tenants_tenantheartbeat_beats_check CHECK ((beats >= 0))
);
ALTER TABLE ONLY public.tenants_tenantheartbeat FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_tenantheartbeat ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_tenantheartbeat_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_touchpoint (
    id bigint NOT NULL,
    name character varying(120) NOT NULL,
    slug character varying(120) NOT NULL,
    "position" integer NOT NULL,
    journey_stage character varying(20) NOT NULL,
    is_moment_of_truth boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    tenant_id bigint NOT NULL,
    CONSTRAINT tenants_touchpoint_position_check CHECK (("position" >= 0))
);
ALTER TABLE ONLY public.tenants_touchpoint FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_touchpoint ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_touchpoint_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_user (
    id bigint NOT NULL,
    password character varying(128) NOT NULL,
    last_login timestamp with time zone,
    is_superuser boolean NOT NULL,
    first_name character varying(150) NOT NULL,
    last_name character varying(150) NOT NULL,
    is_staff boolean NOT NULL,
    is_active boolean NOT NULL,
    date_joined timestamp with time zone NOT NULL,
    email character varying(254) NOT NULL
);
CREATE TABLE public.tenants_user_groups (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    group_id integer NOT NULL
);
ALTER TABLE public.tenants_user_groups ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_user_groups_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
ALTER TABLE public.tenants_user ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_user_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_user_user_permissions (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    permission_id integer NOT NULL
);
ALTER TABLE public.tenants_user_user_permissions ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_user_user_permissions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_webhookdelivery (
    id bigint NOT NULL,
    event_type character varying(64) NOT NULL,
    payload jsonb NOT NULL,
    webhook_id character varying(64) NOT NULL,
    status character varying(8) NOT NULL,
    attempts smallint NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT statement_timestamp() NOT NULL,
    last_status_code smallint,
    duration_ms integer,
    response_excerpt character varying(1024) NOT NULL,
    last_error character varying(500) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    tenant_id bigint NOT NULL,
    endpoint_id bigint NOT NULL,
    CONSTRAINT tenants_webhookdelivery_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT tenants_webhookdelivery_duration_ms_check CHECK ((duration_ms >= 0)),
    CONSTRAINT tenants_webhookdelivery_last_status_code_check CHECK ((last_status_code >= 0))
);
ALTER TABLE ONLY public.tenants_webhookdelivery FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_webhookdelivery ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_webhookdelivery_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.tenants_webhookendpoint (
    id bigint NOT NULL,
    url character varying(500) NOT NULL,
    description character varying(200) NOT NULL,
    events jsonb NOT NULL,
    kind character varying(16) NOT NULL,
    secret character varying(100) NOT NULL,
    previous_secret character varying(100) NOT NULL,
    previous_secret_expires_at timestamp with time zone,
    active boolean NOT NULL,
    failing_since timestamp with time zone,
    disabled_reason character varying(300) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    tenant_id bigint NOT NULL
);
ALTER TABLE ONLY public.tenants_webhookendpoint FORCE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_webhookendpoint ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.tenants_webhookendpoint_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
ALTER TABLE ONLY public.account_emailaddress
    ADD CONSTRAINT account_emailaddress_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.account_emailaddress
    ADD CONSTRAINT account_emailaddress_user_id_email_987c8728_uniq UNIQUE (user_id, email);
ALTER TABLE ONLY public.account_emailconfirmation
    ADD CONSTRAINT account_emailconfirmation_key_key UNIQUE (key);
ALTER TABLE ONLY public.account_emailconfirmation
    ADD CONSTRAINT account_emailconfirmation_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.auth_group
    ADD CONSTRAINT auth_group_name_key UNIQUE (name);
ALTER TABLE ONLY public.auth_group_permissions
    ADD CONSTRAINT auth_group_permissions_group_id_permission_id_0cd325b0_uniq UNIQUE (group_id, permission_id);
ALTER TABLE ONLY public.auth_group_permissions
    ADD CONSTRAINT auth_group_permissions_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.auth_group
    ADD CONSTRAINT auth_group_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.auth_permission
    ADD CONSTRAINT auth_permission_content_type_id_codename_01ab375a_uniq UNIQUE (content_type_id, codename);
ALTER TABLE ONLY public.auth_permission
    ADD CONSTRAINT auth_permission_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.django_content_type
    ADD CONSTRAINT django_content_type_app_label_model_76bd3d3b_uniq UNIQUE (app_label, model);
ALTER TABLE ONLY public.django_content_type
    ADD CONSTRAINT django_content_type_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.django_migrations
    ADD CONSTRAINT django_migrations_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.django_session
    ADD CONSTRAINT django_session_pkey PRIMARY KEY (session_key);
ALTER TABLE ONLY public.feedback_escalation
    ADD CONSTRAINT feedback_escalation_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.feedback_escalationentry
    ADD CONSTRAINT feedback_escalationentry_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.feedback_escalationevidence
    ADD CONSTRAINT feedback_escalationevidence_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.feedback_escalationsettings
    ADD CONSTRAINT feedback_escalationsettings_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.feedback_idempotencyrecord
    ADD CONSTRAINT feedback_idempotencyrecord_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.feedback_serviceevent
    ADD CONSTRAINT feedback_serviceevent_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.feedback_signalimport
    ADD CONSTRAINT feedback_signalimport_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.feedback_story
    ADD CONSTRAINT feedback_story_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.feedback_storypromise
    ADD CONSTRAINT feedback_storypromise_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.feedback_surveyresponse
    ADD CONSTRAINT feedback_surveyresponse_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_action
    ADD CONSTRAINT metrics_action_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_breachevent
    ADD CONSTRAINT metrics_breachevent_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_departmentdigest
    ADD CONSTRAINT metrics_departmentdigest_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_digest
    ADD CONSTRAINT metrics_digest_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_digestoptout
    ADD CONSTRAINT metrics_digestoptout_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_digestsettings
    ADD CONSTRAINT metrics_digestsettings_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_digestsubscriber
    ADD CONSTRAINT metrics_digestsubscriber_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_durationthreshold
    ADD CONSTRAINT metrics_durationthreshold_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_rolluplock
    ADD CONSTRAINT metrics_rolluplock_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_scorerun
    ADD CONSTRAINT metrics_scorerun_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_scoresnapshot
    ADD CONSTRAINT metrics_scoresnapshot_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_scoringlock
    ADD CONSTRAINT metrics_scoringlock_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_serviceeventmonthrollup
    ADD CONSTRAINT metrics_serviceeventmonthrollup_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_serviceeventrollup
    ADD CONSTRAINT metrics_serviceeventrollup_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_serviceeventwithinmonthrollup
    ADD CONSTRAINT metrics_serviceeventwithinmonthrollup_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_serviceeventwithinrollup
    ADD CONSTRAINT metrics_serviceeventwithinrollup_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_storymonthrollup
    ADD CONSTRAINT metrics_storymonthrollup_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_storyrollup
    ADD CONSTRAINT metrics_storyrollup_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_surveymonthrollup
    ADD CONSTRAINT metrics_surveymonthrollup_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.metrics_surveyrollup
    ADD CONSTRAINT metrics_surveyrollup_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.mfa_authenticator
    ADD CONSTRAINT mfa_authenticator_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.promises_commitment
    ADD CONSTRAINT promises_commitment_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.promises_commitmentversion
    ADD CONSTRAINT promises_commitmentversion_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.promises_measure
    ADD CONSTRAINT promises_measure_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.promises_measurebenchmark
    ADD CONSTRAINT promises_measurebenchmark_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.promises_promise
    ADD CONSTRAINT promises_promise_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.promises_promisecontributor
    ADD CONSTRAINT promises_promisecontributor_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.promises_promiseversion
    ADD CONSTRAINT promises_promiseversion_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.promises_signoff
    ADD CONSTRAINT promises_signoff_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.surveys_followup
    ADD CONSTRAINT surveys_followup_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.surveys_survey
    ADD CONSTRAINT surveys_survey_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.surveys_surveylink
    ADD CONSTRAINT surveys_surveylink_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_apikey
    ADD CONSTRAINT tenants_apikey_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_auditevent
    ADD CONSTRAINT tenants_auditevent_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_businesscalendar
    ADD CONSTRAINT tenants_businesscalendar_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_department
    ADD CONSTRAINT tenants_department_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_invitation
    ADD CONSTRAINT tenants_invitation_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_membership
    ADD CONSTRAINT tenants_membership_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_membershipdepartment
    ADD CONSTRAINT tenants_membershipdepartment_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_outboxbody
    ADD CONSTRAINT tenants_outboxbody_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_outboxmessage
    ADD CONSTRAINT tenants_outboxmessage_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_tenant
    ADD CONSTRAINT tenants_tenant_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.tenants_tenant
    ADD CONSTRAINT tenants_tenant_slug_key UNIQUE (slug);
ALTER TABLE ONLY public.tenants_tenantheartbeat
    ADD CONSTRAINT tenants_tenantheartbeat_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_touchpoint
    ADD CONSTRAINT tenants_touchpoint_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_user
    ADD CONSTRAINT tenants_user_email_key UNIQUE (email);
ALTER TABLE ONLY public.tenants_user_groups
    ADD CONSTRAINT tenants_user_groups_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.tenants_user_groups
    ADD CONSTRAINT tenants_user_groups_user_id_group_id_ef9ea837_uniq UNIQUE (user_id, group_id);
ALTER TABLE ONLY public.tenants_user
    ADD CONSTRAINT tenants_user_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.tenants_user_user_permissions
    ADD CONSTRAINT tenants_user_user_permis_user_id_permission_id_e7cb44b9_uniq UNIQUE (user_id, permission_id);
ALTER TABLE ONLY public.tenants_user_user_permissions
    ADD CONSTRAINT tenants_user_user_permissions_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.tenants_webhookdelivery
    ADD CONSTRAINT tenants_webhookdelivery_pkey PRIMARY KEY (tenant_id, id);
ALTER TABLE ONLY public.tenants_webhookendpoint
    ADD CONSTRAINT tenants_webhookendpoint_pkey PRIMARY KEY (tenant_id, id);
CREATE INDEX account_emailaddress_email_03be32b2 ON public.account_emailaddress USING btree (email);
CREATE INDEX account_emailaddress_email_03be32b2_like ON public.account_emailaddress USING btree (email varchar_pattern_ops);
CREATE INDEX account_emailaddress_user_id_2c513194 ON public.account_emailaddress USING btree (user_id);
CREATE INDEX account_emailconfirmation_email_address_id_5b7f8c58 ON public.account_emailconfirmation USING btree (email_address_id);
CREATE INDEX account_emailconfirmation_key_f43612bd_like ON public.account_emailconfirmation USING btree (key varchar_pattern_ops);
CREATE INDEX action_breach_event_idx ON public.metrics_action USING btree (tenant_id, breach_event_id);
CREATE INDEX action_department_idx ON public.metrics_action USING btree (tenant_id, department_id, status);
CREATE INDEX action_escalation_idx ON public.metrics_action USING btree (tenant_id, escalation_id);
CREATE INDEX action_owner_idx ON public.metrics_action USING btree (tenant_id, owner_id, status);
CREATE INDEX action_promise_idx ON public.metrics_action USING btree (tenant_id, promise_id);
CREATE INDEX action_status_due_idx ON public.metrics_action USING btree (tenant_id, status, due_on);
CREATE UNIQUE INDEX apikey_unique_prefix ON public.tenants_apikey USING btree (tenant_id, prefix);
CREATE INDEX audit_action_idx ON public.tenants_auditevent USING btree (tenant_id, action);
CREATE INDEX audit_actor_idx ON public.tenants_auditevent USING btree (tenant_id, actor_kind, actor_id);
CREATE INDEX audit_recent_idx ON public.tenants_auditevent USING btree (tenant_id, occurred_at DESC);
CREATE INDEX auth_group_name_a6ea08ec_like ON public.auth_group USING btree (name varchar_pattern_ops);
CREATE INDEX auth_group_permissions_group_id_b120cbf9 ON public.auth_group_permissions USING btree (group_id);
CREATE INDEX auth_group_permissions_permission_id_84c5c92e ON public.auth_group_permissions USING btree (permission_id);
CREATE INDEX auth_permission_content_type_id_2f476e4b ON public.auth_permission USING btree (content_type_id);
CREATE INDEX breach_event_escalation_idx ON public.metrics_breachevent USING btree (tenant_id, escalation_id);
CREATE UNIQUE INDEX breach_event_one_open ON public.metrics_breachevent USING btree (tenant_id, kind, scope, scope_id) NULLS NOT DISTINCT WHERE (resolved_at IS NULL);
CREATE INDEX breach_event_recent_idx ON public.metrics_breachevent USING btree (tenant_id, detected_at DESC);
CREATE UNIQUE INDEX business_calendar_unique_department ON public.tenants_businesscalendar USING btree (tenant_id, department_id) WHERE (department_id IS NOT NULL);
CREATE UNIQUE INDEX business_calendar_unique_tenant ON public.tenants_businesscalendar USING btree (tenant_id) WHERE (department_id IS NULL);
CREATE INDEX commitment_promise_idx ON public.promises_commitment USING btree (tenant_id, promise_id);
CREATE INDEX commitment_version_from_idx ON public.promises_commitmentversion USING btree (tenant_id, effective_from);
CREATE UNIQUE INDEX commitment_version_one_open ON public.promises_commitmentversion USING btree (tenant_id, commitment_id) WHERE (effective_to IS NULL);
CREATE UNIQUE INDEX commitment_version_unique_number ON public.promises_commitmentversion USING btree (tenant_id, commitment_id, number);
CREATE UNIQUE INDEX department_digest_unique_department ON public.metrics_departmentdigest USING btree (tenant_id, department_id);
CREATE UNIQUE INDEX department_unique_name ON public.tenants_department USING btree (tenant_id, lower((name)::text));
CREATE UNIQUE INDEX department_unique_slug ON public.tenants_department USING btree (tenant_id, slug);
CREATE INDEX digest_opt_out_department_idx ON public.metrics_digestoptout USING btree (tenant_id, department_id);
CREATE UNIQUE INDEX digest_opt_out_unique_member_department ON public.metrics_digestoptout USING btree (tenant_id, membership_id, department_id);
CREATE INDEX digest_recent_idx ON public.metrics_digest USING btree (tenant_id, period_start DESC);
CREATE UNIQUE INDEX digest_settings_unique_tenant ON public.metrics_digestsettings USING btree (tenant_id);
CREATE UNIQUE INDEX digest_subscriber_unique_email ON public.metrics_digestsubscriber USING btree (tenant_id, department_id, lower((email)::text));
CREATE UNIQUE INDEX digest_unique_department_period ON public.metrics_digest USING btree (tenant_id, department_id, period_key);
CREATE INDEX django_session_expire_date_a5c62663 ON public.django_session USING btree (expire_date);
CREATE INDEX django_session_session_key_c0390e0f_like ON public.django_session USING btree (session_key varchar_pattern_ops);
CREATE UNIQUE INDEX duration_threshold_unique ON public.metrics_durationthreshold USING btree (tenant_id, measure_id, threshold_seconds);
CREATE INDEX escalation_department_idx ON public.feedback_escalation USING btree (tenant_id, department_id, state);
CREATE INDEX escalation_entry_idx ON public.feedback_escalationentry USING btree (tenant_id, escalation_id, created_at);
CREATE INDEX escalation_evidence_story_idx ON public.feedback_escalationevidence USING btree (tenant_id, story_id);
CREATE UNIQUE INDEX escalation_evidence_unique ON public.feedback_escalationevidence USING btree (tenant_id, escalation_id, story_id);
CREATE INDEX escalation_promise_idx ON public.feedback_escalation USING btree (tenant_id, promise_id, touchpoint_id);
CREATE INDEX escalation_reminder_idx ON public.feedback_escalation USING btree (tenant_id, reminder_at) WHERE (reminder_at IS NOT NULL);
CREATE UNIQUE INDEX escalation_settings_unique_tenant ON public.feedback_escalationsettings USING btree (tenant_id);
CREATE INDEX escalation_state_idx ON public.feedback_escalation USING btree (tenant_id, state, proposed_at);
CREATE UNIQUE INDEX escalation_unique_breach_event ON public.feedback_escalation USING btree (tenant_id, breach_event_id) WHERE (breach_event_id IS NOT NULL);
CREATE INDEX feedback_escalation_department_id_831d918f ON public.feedback_escalation USING btree (department_id);
CREATE INDEX feedback_escalation_owner_id_603f8990 ON public.feedback_escalation USING btree (owner_id);
CREATE INDEX feedback_escalation_promise_id_6388cd3f ON public.feedback_escalation USING btree (promise_id);
CREATE INDEX feedback_escalation_proposed_by_id_d431637b ON public.feedback_escalation USING btree (proposed_by_id);
CREATE INDEX feedback_escalation_proposed_by_key_id_81c5782a ON public.feedback_escalation USING btree (proposed_by_key_id);
CREATE INDEX feedback_escalation_tenant_id_dbb64faa ON public.feedback_escalation USING btree (tenant_id);
CREATE INDEX feedback_escalation_touchpoint_id_9b7122ed ON public.feedback_escalation USING btree (touchpoint_id);
CREATE INDEX feedback_escalationentry_actor_id_0090a039 ON public.feedback_escalationentry USING btree (actor_id);
CREATE INDEX feedback_escalationentry_escalation_id_3a8ef3b9 ON public.feedback_escalationentry USING btree (escalation_id);
CREATE INDEX feedback_escalationentry_tenant_id_71d7e67b ON public.feedback_escalationentry USING btree (tenant_id);
CREATE INDEX feedback_escalationevidence_escalation_id_fa1cd67b ON public.feedback_escalationevidence USING btree (escalation_id);
CREATE INDEX feedback_escalationevidence_story_id_582914eb ON public.feedback_escalationevidence USING btree (story_id);
CREATE INDEX feedback_escalationevidence_tenant_id_0730acdc ON public.feedback_escalationevidence USING btree (tenant_id);
CREATE INDEX feedback_escalationsettings_tenant_id_027b1f60 ON public.feedback_escalationsettings USING btree (tenant_id);
CREATE INDEX feedback_idempotencyrecord_api_key_id_9ecb3593 ON public.feedback_idempotencyrecord USING btree (api_key_id);
CREATE INDEX feedback_idempotencyrecord_tenant_id_e36cc275 ON public.feedback_idempotencyrecord USING btree (tenant_id);
CREATE INDEX feedback_serviceevent_measure_id_3cc7b6e9 ON public.feedback_serviceevent USING btree (measure_id);
CREATE INDEX feedback_serviceevent_tenant_id_85d17f14 ON public.feedback_serviceevent USING btree (tenant_id);
CREATE INDEX feedback_serviceevent_touchpoint_id_6e2ac012 ON public.feedback_serviceevent USING btree (touchpoint_id);
CREATE INDEX feedback_signalimport_api_key_id_288ae350 ON public.feedback_signalimport USING btree (api_key_id);
CREATE INDEX feedback_signalimport_created_by_id_5b9e2ad7 ON public.feedback_signalimport USING btree (created_by_id);
CREATE INDEX feedback_signalimport_tenant_id_872cb83c ON public.feedback_signalimport USING btree (tenant_id);
CREATE INDEX feedback_story_department_id_c164755e ON public.feedback_story USING btree (department_id);
CREATE INDEX feedback_story_tenant_id_57df0d67 ON public.feedback_story USING btree (tenant_id);
CREATE INDEX feedback_story_touchpoint_id_47e07d3c ON public.feedback_story USING btree (touchpoint_id);
CREATE INDEX feedback_storypromise_promise_id_1d3a206f ON public.feedback_storypromise USING btree (promise_id);
CREATE INDEX feedback_storypromise_story_id_f8d5cd87 ON public.feedback_storypromise USING btree (story_id);
CREATE INDEX feedback_storypromise_tenant_id_85fb29a9 ON public.feedback_storypromise USING btree (tenant_id);
CREATE INDEX feedback_surveyresponse_measure_id_b6938844 ON public.feedback_surveyresponse USING btree (measure_id);
CREATE INDEX feedback_surveyresponse_tenant_id_620ae02c ON public.feedback_surveyresponse USING btree (tenant_id);
CREATE INDEX feedback_surveyresponse_touchpoint_id_e2577adb ON public.feedback_surveyresponse USING btree (touchpoint_id);
CREATE INDEX followup_inbox_idx ON public.surveys_followup USING btree (tenant_id, department_id, status, due_at);
CREATE INDEX followup_reminder_idx ON public.surveys_followup USING btree (tenant_id, reminder_at) WHERE (reminder_at IS NOT NULL);
CREATE INDEX followup_status_idx ON public.surveys_followup USING btree (tenant_id, status, due_at);
CREATE UNIQUE INDEX followup_unique_response ON public.surveys_followup USING btree (tenant_id, response_id);
CREATE UNIQUE INDEX heartbeat_unique_tenant ON public.tenants_tenantheartbeat USING btree (tenant_id);
CREATE INDEX idempotency_record_created_idx ON public.feedback_idempotencyrecord USING btree (tenant_id, created_at);
CREATE UNIQUE INDEX idempotency_record_unique_key ON public.feedback_idempotencyrecord USING btree (tenant_id, key);
CREATE UNIQUE INDEX invitation_unique_token ON public.tenants_invitation USING btree (tenant_id, token_hash);
CREATE UNIQUE INDEX measure_benchmark_unique_label ON public.promises_measurebenchmark USING btree (tenant_id, measure_id, lower((label)::text));
CREATE UNIQUE INDEX measure_unique_key ON public.promises_measure USING btree (tenant_id, key);
CREATE UNIQUE INDEX membership_department_unique ON public.tenants_membershipdepartment USING btree (tenant_id, membership_id, department_id);
CREATE UNIQUE INDEX membership_unique_user ON public.tenants_membership USING btree (tenant_id, user_id);
CREATE INDEX metrics_action_breach_event_id_0b74c4fd ON public.metrics_action USING btree (breach_event_id);
CREATE INDEX metrics_action_commitment_id_6cef9d45 ON public.metrics_action USING btree (commitment_id);
CREATE INDEX metrics_action_created_by_id_3331d347 ON public.metrics_action USING btree (created_by_id);
CREATE INDEX metrics_action_department_id_ab86b935 ON public.metrics_action USING btree (department_id);
CREATE INDEX metrics_action_escalation_id_b534034a ON public.metrics_action USING btree (escalation_id);
CREATE INDEX metrics_action_owner_id_685c4b06 ON public.metrics_action USING btree (owner_id);
CREATE INDEX metrics_action_promise_id_579ffe71 ON public.metrics_action USING btree (promise_id);
CREATE INDEX metrics_action_tenant_id_b0cb1e30 ON public.metrics_action USING btree (tenant_id);
CREATE INDEX metrics_breachevent_commitment_id_b94ce600 ON public.metrics_breachevent USING btree (commitment_id);
CREATE INDEX metrics_breachevent_department_id_593a0a4b ON public.metrics_breachevent USING btree (department_id);
CREATE INDEX metrics_breachevent_promise_id_21a30fd4 ON public.metrics_breachevent USING btree (promise_id);
CREATE INDEX metrics_breachevent_run_id_4b86921a ON public.metrics_breachevent USING btree (run_id);
CREATE INDEX metrics_breachevent_tenant_id_4f498238 ON public.metrics_breachevent USING btree (tenant_id);
CREATE INDEX metrics_departmentdigest_department_id_6cf012f0 ON public.metrics_departmentdigest USING btree (department_id);
CREATE INDEX metrics_departmentdigest_tenant_id_9cffe238 ON public.metrics_departmentdigest USING btree (tenant_id);
CREATE INDEX metrics_digest_department_id_18470cf3 ON public.metrics_digest USING btree (department_id);
CREATE INDEX metrics_digest_tenant_id_9496bd82 ON public.metrics_digest USING btree (tenant_id);
CREATE INDEX metrics_digestoptout_department_id_4c487d47 ON public.metrics_digestoptout USING btree (department_id);
CREATE INDEX metrics_digestoptout_membership_id_7f9f294e ON public.metrics_digestoptout USING btree (membership_id);
CREATE INDEX metrics_digestoptout_tenant_id_d5901397 ON public.metrics_digestoptout USING btree (tenant_id);
CREATE INDEX metrics_digestsettings_tenant_id_fecc442d ON public.metrics_digestsettings USING btree (tenant_id);
CREATE INDEX metrics_digestsubscriber_added_by_id_8860aa5d ON public.metrics_digestsubscriber USING btree (added_by_id);
CREATE INDEX metrics_digestsubscriber_department_id_66c454a0 ON public.metrics_digestsubscriber USING btree (department_id);
CREATE INDEX metrics_digestsubscriber_tenant_id_5d9ed21b ON public.metrics_digestsubscriber USING btree (tenant_id);
CREATE INDEX metrics_durationthreshold_measure_id_41c3023f ON public.metrics_durationthreshold USING btree (measure_id);
CREATE INDEX metrics_durationthreshold_tenant_id_0994dcdd ON public.metrics_durationthreshold USING btree (tenant_id);
CREATE INDEX metrics_rolluplock_tenant_id_a855ebe0 ON public.metrics_rolluplock USING btree (tenant_id);
CREATE INDEX metrics_scorerun_tenant_id_daf895eb ON public.metrics_scorerun USING btree (tenant_id);
CREATE INDEX metrics_scoresnapshot_run_id_1fe4368d ON public.metrics_scoresnapshot USING btree (run_id);
CREATE INDEX metrics_scoresnapshot_tenant_id_0aae0ca0 ON public.metrics_scoresnapshot USING btree (tenant_id);
CREATE INDEX metrics_scoringlock_tenant_id_e6dd754b ON public.metrics_scoringlock USING btree (tenant_id);
CREATE INDEX metrics_service_event_scoring_idx ON public.feedback_serviceevent USING btree (tenant_id, occurred_at) INCLUDE (measure_id, touchpoint_id, duration_seconds);
CREATE INDEX metrics_serviceeventmonthrollup_measure_id_c7147f74 ON public.metrics_serviceeventmonthrollup USING btree (measure_id);
CREATE INDEX metrics_serviceeventmonthrollup_tenant_id_38449919 ON public.metrics_serviceeventmonthrollup USING btree (tenant_id);
CREATE INDEX metrics_serviceeventmonthrollup_touchpoint_id_528a8a99 ON public.metrics_serviceeventmonthrollup USING btree (touchpoint_id);
CREATE INDEX metrics_serviceeventrollup_measure_id_91adf46e ON public.metrics_serviceeventrollup USING btree (measure_id);
CREATE INDEX metrics_serviceeventrollup_tenant_id_37ced836 ON public.metrics_serviceeventrollup USING btree (tenant_id);
CREATE INDEX metrics_serviceeventrollup_touchpoint_id_aa74e03d ON public.metrics_serviceeventrollup USING btree (touchpoint_id);
CREATE INDEX metrics_serviceeventwithinmonthrollup_measure_id_48ec982d ON public.metrics_serviceeventwithinmonthrollup USING btree (measure_id);
CREATE INDEX metrics_serviceeventwithinmonthrollup_tenant_id_cd99058c ON public.metrics_serviceeventwithinmonthrollup USING btree (tenant_id);
CREATE INDEX metrics_serviceeventwithinmonthrollup_touchpoint_id_713516aa ON public.metrics_serviceeventwithinmonthrollup USING btree (touchpoint_id);
CREATE INDEX metrics_serviceeventwithinrollup_measure_id_34cc2d76 ON public.metrics_serviceeventwithinrollup USING btree (measure_id);
CREATE INDEX metrics_serviceeventwithinrollup_tenant_id_67f28564 ON public.metrics_serviceeventwithinrollup USING btree (tenant_id);
CREATE INDEX metrics_serviceeventwithinrollup_touchpoint_id_a6381c9a ON public.metrics_serviceeventwithinrollup USING btree (touchpoint_id);
CREATE INDEX metrics_storymonthrollup_promise_id_8b9e6034 ON public.metrics_storymonthrollup USING btree (promise_id);
CREATE INDEX metrics_storymonthrollup_tenant_id_1194c476 ON public.metrics_storymonthrollup USING btree (tenant_id);
CREATE INDEX metrics_storymonthrollup_touchpoint_id_6722049c ON public.metrics_storymonthrollup USING btree (touchpoint_id);
CREATE INDEX metrics_storyrollup_promise_id_cf3f9788 ON public.metrics_storyrollup USING btree (promise_id);
CREATE INDEX metrics_storyrollup_tenant_id_5baa67b2 ON public.metrics_storyrollup USING btree (tenant_id);
CREATE INDEX metrics_storyrollup_touchpoint_id_2adebbc5 ON public.metrics_storyrollup USING btree (touchpoint_id);
CREATE INDEX metrics_survey_response_scoring_idx ON public.feedback_surveyresponse USING btree (tenant_id, occurred_at) INCLUDE (measure_id, touchpoint_id, score);
CREATE INDEX metrics_surveymonthrollup_measure_id_df6669c5 ON public.metrics_surveymonthrollup USING btree (measure_id);
CREATE INDEX metrics_surveymonthrollup_tenant_id_70880355 ON public.metrics_surveymonthrollup USING btree (tenant_id);
CREATE INDEX metrics_surveymonthrollup_touchpoint_id_6ebf7ae6 ON public.metrics_surveymonthrollup USING btree (touchpoint_id);
CREATE INDEX metrics_surveyrollup_measure_id_a8a24fc2 ON public.metrics_surveyrollup USING btree (measure_id);
CREATE INDEX metrics_surveyrollup_tenant_id_6f5b0d1b ON public.metrics_surveyrollup USING btree (tenant_id);
CREATE INDEX metrics_surveyrollup_touchpoint_id_f5ae65fb ON public.metrics_surveyrollup USING btree (touchpoint_id);
CREATE INDEX mfa_authenticator_user_id_0c3a50c0 ON public.mfa_authenticator USING btree (user_id);
CREATE UNIQUE INDEX outbox_body_unique_key ON public.tenants_outboxbody USING btree (tenant_id, key);
CREATE INDEX outbox_kind_idx ON public.tenants_outboxmessage USING btree (tenant_id, kind, created_at DESC);
CREATE INDEX outbox_pending_order_idx ON public.tenants_outboxmessage USING btree (tenant_id, id) WHERE ((status)::text = 'pending'::text);
CREATE UNIQUE INDEX outbox_unique_dedupe_key ON public.tenants_outboxmessage USING btree (tenant_id, dedupe_key);
CREATE INDEX promise_contributor_dept_idx ON public.promises_promisecontributor USING btree (tenant_id, department_id);
CREATE UNIQUE INDEX promise_contributor_unique ON public.promises_promisecontributor USING btree (tenant_id, promise_id, department_id);
CREATE INDEX promise_owner_idx ON public.promises_promise USING btree (tenant_id, owner_id);
CREATE INDEX promise_parent_idx ON public.promises_promise USING btree (tenant_id, parent_id);
CREATE INDEX promise_status_idx ON public.promises_promise USING btree (tenant_id, status);
CREATE UNIQUE INDEX promise_unique_slug ON public.promises_promise USING btree (tenant_id, slug);
CREATE UNIQUE INDEX promise_version_unique_number ON public.promises_promiseversion USING btree (tenant_id, promise_id, number);
CREATE INDEX promises_commitment_created_by_id_e1d45489 ON public.promises_commitment USING btree (created_by_id);
CREATE INDEX promises_commitment_measure_id_ddb3bda9 ON public.promises_commitment USING btree (measure_id);
CREATE INDEX promises_commitment_promise_id_0b204a56 ON public.promises_commitment USING btree (promise_id);
CREATE INDEX promises_commitment_tenant_id_a2554399 ON public.promises_commitment USING btree (tenant_id);
CREATE INDEX promises_commitment_touchpoint_id_a122fd3a ON public.promises_commitment USING btree (touchpoint_id);
CREATE INDEX promises_commitmentversion_commitment_id_aa3c98e6 ON public.promises_commitmentversion USING btree (commitment_id);
CREATE INDEX promises_commitmentversion_created_by_id_f56ca05e ON public.promises_commitmentversion USING btree (created_by_id);
CREATE INDEX promises_commitmentversion_tenant_id_0cee65ba ON public.promises_commitmentversion USING btree (tenant_id);
CREATE INDEX promises_measure_key_5127ba55 ON public.promises_measure USING btree (key);
CREATE INDEX promises_measure_key_5127ba55_like ON public.promises_measure USING btree (key varchar_pattern_ops);
CREATE INDEX promises_measure_tenant_id_037802e8 ON public.promises_measure USING btree (tenant_id);
CREATE INDEX promises_measurebenchmark_measure_id_45796fd6 ON public.promises_measurebenchmark USING btree (measure_id);
CREATE INDEX promises_measurebenchmark_tenant_id_045b17f2 ON public.promises_measurebenchmark USING btree (tenant_id);
CREATE INDEX promises_promise_created_by_id_18d84aaf ON public.promises_promise USING btree (created_by_id);
CREATE INDEX promises_promise_owner_id_9fd04f51 ON public.promises_promise USING btree (owner_id);
CREATE INDEX promises_promise_parent_id_18ebbf2c ON public.promises_promise USING btree (parent_id);
CREATE INDEX promises_promise_slug_61f06a3e ON public.promises_promise USING btree (slug);
CREATE INDEX promises_promise_slug_61f06a3e_like ON public.promises_promise USING btree (slug varchar_pattern_ops);
CREATE INDEX promises_promise_tenant_id_17f286c5 ON public.promises_promise USING btree (tenant_id);
CREATE INDEX promises_promisecontributor_department_id_c66f6570 ON public.promises_promisecontributor USING btree (department_id);
CREATE INDEX promises_promisecontributor_promise_id_c9538b67 ON public.promises_promisecontributor USING btree (promise_id);
CREATE INDEX promises_promisecontributor_tenant_id_2dc31b2e ON public.promises_promisecontributor USING btree (tenant_id);
CREATE INDEX promises_promiseversion_created_by_id_61d194d9 ON public.promises_promiseversion USING btree (created_by_id);
CREATE INDEX promises_promiseversion_promise_id_0bce3d34 ON public.promises_promiseversion USING btree (promise_id);
CREATE INDEX promises_promiseversion_tenant_id_7eaa533e ON public.promises_promiseversion USING btree (tenant_id);
CREATE INDEX promises_signoff_decided_by_id_373d623a ON public.promises_signoff USING btree (decided_by_id);
CREATE INDEX promises_signoff_department_id_75fe7523 ON public.promises_signoff USING btree (department_id);
CREATE INDEX promises_signoff_promise_id_cba8f910 ON public.promises_signoff USING btree (promise_id);
CREATE INDEX promises_signoff_tenant_id_c2e435ac ON public.promises_signoff USING btree (tenant_id);
CREATE UNIQUE INDEX rollup_lock_one_per_tenant ON public.metrics_rolluplock USING btree (tenant_id);
CREATE INDEX score_run_kind_idx ON public.metrics_scorerun USING btree (tenant_id, kind, as_of);
CREATE INDEX score_run_latest_idx ON public.metrics_scorerun USING btree (tenant_id, as_of DESC, id DESC);
CREATE UNIQUE INDEX score_run_one_quarter_end ON public.metrics_scorerun USING btree (tenant_id, as_of) WHERE ((kind)::text = 'quarter_end'::text);
CREATE INDEX score_snapshot_scope_idx ON public.metrics_scoresnapshot USING btree (tenant_id, scope, scope_id, as_of);
CREATE UNIQUE INDEX scoring_lock_one_per_tenant ON public.metrics_scoringlock USING btree (tenant_id);
CREATE INDEX service_event_measure_idx ON public.feedback_serviceevent USING btree (tenant_id, measure_id, occurred_at);
CREATE UNIQUE INDEX service_event_month_rollup_unique ON public.metrics_serviceeventmonthrollup USING btree (tenant_id, measure_id, touchpoint_id, day);
CREATE INDEX service_event_occurred_idx ON public.feedback_serviceevent USING btree (tenant_id, occurred_at);
CREATE INDEX service_event_rollup_day_idx ON public.metrics_serviceeventrollup USING btree (tenant_id, day);
CREATE UNIQUE INDEX service_event_rollup_unique ON public.metrics_serviceeventrollup USING btree (tenant_id, measure_id, touchpoint_id, day);
CREATE INDEX service_event_touchpoint_idx ON public.feedback_serviceevent USING btree (tenant_id, touchpoint_id, occurred_at);
CREATE UNIQUE INDEX service_event_unique_external_id ON public.feedback_serviceevent USING btree (tenant_id, source_kind, source_id, external_id) WHERE (external_id IS NOT NULL);
CREATE INDEX service_event_within_day_idx ON public.metrics_serviceeventwithinrollup USING btree (tenant_id, day);
CREATE UNIQUE INDEX service_event_within_month_unique ON public.metrics_serviceeventwithinmonthrollup USING btree (tenant_id, measure_id, threshold_seconds, touchpoint_id, day);
CREATE UNIQUE INDEX service_event_within_unique ON public.metrics_serviceeventwithinrollup USING btree (tenant_id, measure_id, threshold_seconds, touchpoint_id, day);
CREATE INDEX sign_off_department_idx ON public.promises_signoff USING btree (tenant_id, department_id, status);
CREATE UNIQUE INDEX sign_off_unique_department ON public.promises_signoff USING btree (tenant_id, promise_id, review_round, department_id);
CREATE INDEX signal_import_created_idx ON public.feedback_signalimport USING btree (tenant_id, created_at);
CREATE INDEX signal_import_unfinished_idx ON public.feedback_signalimport USING btree (tenant_id, heartbeat_at) WHERE ((status)::text = ANY ((ARRAY['queued'::character varying, 'running'::character varying])::text[]));
CREATE UNIQUE INDEX story_month_rollup_unique ON public.metrics_storymonthrollup USING btree (tenant_id, promise_id, touchpoint_id, day);
CREATE INDEX story_occurred_idx ON public.feedback_story USING btree (tenant_id, occurred_at);
CREATE INDEX story_promise_promise_idx ON public.feedback_storypromise USING btree (tenant_id, promise_id);
CREATE UNIQUE INDEX story_promise_unique ON public.feedback_storypromise USING btree (tenant_id, story_id, promise_id);
CREATE INDEX story_rollup_day_idx ON public.metrics_storyrollup USING btree (tenant_id, day);
CREATE UNIQUE INDEX story_rollup_unique ON public.metrics_storyrollup USING btree (tenant_id, promise_id, touchpoint_id, day);
CREATE INDEX story_touchpoint_idx ON public.feedback_story USING btree (tenant_id, touchpoint_id, occurred_at);
CREATE UNIQUE INDEX story_unique_external_id ON public.feedback_story USING btree (tenant_id, source_kind, source_id, external_id) WHERE (external_id IS NOT NULL);
CREATE INDEX survey_department_idx ON public.surveys_survey USING btree (tenant_id, department_id);
CREATE UNIQUE INDEX survey_month_rollup_unique ON public.metrics_surveymonthrollup USING btree (tenant_id, measure_id, touchpoint_id, day) NULLS NOT DISTINCT;
CREATE INDEX survey_response_measure_idx ON public.feedback_surveyresponse USING btree (tenant_id, measure_id, occurred_at);
CREATE INDEX survey_response_occurred_idx ON public.feedback_surveyresponse USING btree (tenant_id, occurred_at);
CREATE INDEX survey_response_touchpoint_idx ON public.feedback_surveyresponse USING btree (tenant_id, touchpoint_id, occurred_at);
CREATE UNIQUE INDEX survey_response_unique_external_id ON public.feedback_surveyresponse USING btree (tenant_id, source_kind, source_id, external_id) WHERE (external_id IS NOT NULL);
CREATE INDEX survey_rollup_day_idx ON public.metrics_surveyrollup USING btree (tenant_id, day);
CREATE UNIQUE INDEX survey_rollup_unique ON public.metrics_surveyrollup USING btree (tenant_id, measure_id, touchpoint_id, day) NULLS NOT DISTINCT;
CREATE UNIQUE INDEX survey_unique_token ON public.surveys_survey USING btree (tenant_id, token);
CREATE INDEX surveylink_respondent_idx ON public.surveys_surveylink USING btree (tenant_id, respondent_ref, created_at);
CREATE INDEX surveylink_survey_idx ON public.surveys_surveylink USING btree (tenant_id, survey_id);
CREATE UNIQUE INDEX surveylink_unique_token ON public.surveys_surveylink USING btree (tenant_id, token);
CREATE INDEX surveys_followup_closed_by_id_74c174a5 ON public.surveys_followup USING btree (closed_by_id);
CREATE INDEX surveys_followup_department_id_7b19c1b0 ON public.surveys_followup USING btree (department_id);
CREATE INDEX surveys_followup_owner_id_efc9a09f ON public.surveys_followup USING btree (owner_id);
CREATE INDEX surveys_followup_survey_id_e1d6a8f4 ON public.surveys_followup USING btree (survey_id);
CREATE INDEX surveys_followup_tenant_id_069dffb8 ON public.surveys_followup USING btree (tenant_id);
CREATE INDEX surveys_followup_touchpoint_id_62dce461 ON public.surveys_followup USING btree (touchpoint_id);
CREATE INDEX surveys_survey_created_by_id_46a3da67 ON public.surveys_survey USING btree (created_by_id);
CREATE INDEX surveys_survey_department_id_6c192dd4 ON public.surveys_survey USING btree (department_id);
CREATE INDEX surveys_survey_measure_id_4660a47a ON public.surveys_survey USING btree (measure_id);
CREATE INDEX surveys_survey_promise_id_76d65421 ON public.surveys_survey USING btree (promise_id);
CREATE INDEX surveys_survey_tenant_id_a2058441 ON public.surveys_survey USING btree (tenant_id);
CREATE INDEX surveys_survey_touchpoint_id_7f077cdc ON public.surveys_survey USING btree (touchpoint_id);
CREATE INDEX surveys_surveylink_survey_id_6227b651 ON public.surveys_surveylink USING btree (survey_id);
CREATE INDEX surveys_surveylink_tenant_id_ad553c99 ON public.surveys_surveylink USING btree (tenant_id);
CREATE INDEX tenants_apikey_created_by_id_93d5af63 ON public.tenants_apikey USING btree (created_by_id);
CREATE INDEX tenants_apikey_tenant_id_93769949 ON public.tenants_apikey USING btree (tenant_id);
CREATE INDEX tenants_auditevent_tenant_id_45dbc5b7 ON public.tenants_auditevent USING btree (tenant_id);
CREATE INDEX tenants_businesscalendar_tenant_id_3cbf4810 ON public.tenants_businesscalendar USING btree (tenant_id);
CREATE INDEX tenants_department_slug_b812bdd9 ON public.tenants_department USING btree (slug);
CREATE INDEX tenants_department_slug_b812bdd9_like ON public.tenants_department USING btree (slug varchar_pattern_ops);
CREATE INDEX tenants_department_tenant_id_b681b6e5 ON public.tenants_department USING btree (tenant_id);
CREATE INDEX tenants_invitation_invited_by_id_e04be240 ON public.tenants_invitation USING btree (invited_by_id);
CREATE INDEX tenants_invitation_tenant_id_1e73354a ON public.tenants_invitation USING btree (tenant_id);
CREATE INDEX tenants_membership_tenant_id_55f75d05 ON public.tenants_membership USING btree (tenant_id);
CREATE INDEX tenants_membership_user_id_2c860192 ON public.tenants_membership USING btree (user_id);
CREATE INDEX tenants_membershipdepartment_department_id_fb56f2f8 ON public.tenants_membershipdepartment USING btree (department_id);
CREATE INDEX tenants_membershipdepartment_membership_id_467c9ca9 ON public.tenants_membershipdepartment USING btree (membership_id);
CREATE INDEX tenants_membershipdepartment_tenant_id_0d3d3f7c ON public.tenants_membershipdepartment USING btree (tenant_id);
CREATE INDEX tenants_outboxbody_tenant_id_5d310eef ON public.tenants_outboxbody USING btree (tenant_id);
CREATE INDEX tenants_outboxmessage_body_id_62b4fb71 ON public.tenants_outboxmessage USING btree (body_id);
CREATE INDEX tenants_outboxmessage_tenant_id_d1fe3c51 ON public.tenants_outboxmessage USING btree (tenant_id);
CREATE INDEX tenants_tenant_slug_0a9b71e6_like ON public.tenants_tenant USING btree (slug varchar_pattern_ops);
CREATE INDEX tenants_tenantheartbeat_tenant_id_e998be78 ON public.tenants_tenantheartbeat USING btree (tenant_id);
CREATE INDEX tenants_touchpoint_slug_1445216f ON public.tenants_touchpoint USING btree (slug);
CREATE INDEX tenants_touchpoint_slug_1445216f_like ON public.tenants_touchpoint USING btree (slug varchar_pattern_ops);
CREATE INDEX tenants_touchpoint_tenant_id_b405a923 ON public.tenants_touchpoint USING btree (tenant_id);
CREATE INDEX tenants_user_email_8daee2f7_like ON public.tenants_user USING btree (email varchar_pattern_ops);
CREATE INDEX tenants_user_groups_group_id_217b8f87 ON public.tenants_user_groups USING btree (group_id);
CREATE INDEX tenants_user_groups_user_id_5c8b04b7 ON public.tenants_user_groups USING btree (user_id);
CREATE INDEX tenants_user_user_permissions_permission_id_bc2e7c1b ON public.tenants_user_user_permissions USING btree (permission_id);
CREATE INDEX tenants_user_user_permissions_user_id_f9b9e114 ON public.tenants_user_user_permissions USING btree (user_id);
CREATE INDEX tenants_webhookdelivery_endpoint_id_05ba945b ON public.tenants_webhookdelivery USING btree (endpoint_id);
CREATE INDEX tenants_webhookdelivery_tenant_id_724b96df ON public.tenants_webhookdelivery USING btree (tenant_id);
CREATE INDEX tenants_webhookendpoint_tenant_id_04c55aed ON public.tenants_webhookendpoint USING btree (tenant_id);
CREATE INDEX touchpoint_journey_idx ON public.tenants_touchpoint USING btree (tenant_id, "position");
CREATE UNIQUE INDEX touchpoint_unique_name ON public.tenants_touchpoint USING btree (tenant_id, lower((name)::text));
CREATE UNIQUE INDEX touchpoint_unique_slug ON public.tenants_touchpoint USING btree (tenant_id, slug);
CREATE UNIQUE INDEX unique_authenticator_type ON public.mfa_authenticator USING btree (user_id, type) WHERE ((type)::text = ANY ((ARRAY['totp'::character varying, 'recovery_codes'::character varying])::text[]));
CREATE UNIQUE INDEX unique_primary_email ON public.account_emailaddress USING btree (user_id, "primary") WHERE "primary";
CREATE UNIQUE INDEX unique_verified_email ON public.account_emailaddress USING btree (email) WHERE verified;
CREATE INDEX webhook_endpoint_log_idx ON public.tenants_webhookdelivery USING btree (tenant_id, endpoint_id, id DESC);
CREATE INDEX webhook_pending_idx ON public.tenants_webhookdelivery USING btree (tenant_id, id) WHERE ((status)::text = 'pending'::text);
CREATE UNIQUE INDEX webhookdelivery_unique_webhook_id ON public.tenants_webhookdelivery USING btree (tenant_id, webhook_id);
CREATE TRIGGER cxgov_append_only BEFORE DELETE OR UPDATE ON public.tenants_auditevent FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_append_only();
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.feedback_escalation FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('feedback.Escalation');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.feedback_escalationentry FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('feedback.EscalationEntry');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.feedback_escalationevidence FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('feedback.EscalationEvidence');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.feedback_escalationsettings FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('feedback.EscalationSettings');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.feedback_idempotencyrecord FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('feedback.IdempotencyRecord', 'response_body');
CREATE TRIGGER cxgov_audit AFTER DELETE OR UPDATE ON public.feedback_serviceevent FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('feedback.ServiceEvent');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.feedback_signalimport FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('feedback.SignalImport', 'content', 'report', 'processed_rows', 'heartbeat_at');
CREATE TRIGGER cxgov_audit AFTER DELETE OR UPDATE ON public.feedback_story FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('feedback.Story');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.feedback_storypromise FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('feedback.StoryPromise');
CREATE TRIGGER cxgov_audit AFTER DELETE OR UPDATE ON public.feedback_surveyresponse FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('feedback.SurveyResponse');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.metrics_action FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('metrics.Action');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.metrics_breachevent FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('metrics.BreachEvent');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.metrics_departmentdigest FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('metrics.DepartmentDigest');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.metrics_digest FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('metrics.Digest');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.metrics_digestoptout FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('metrics.DigestOptOut');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.metrics_digestsettings FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('metrics.DigestSettings');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.metrics_digestsubscriber FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('metrics.DigestSubscriber');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.metrics_durationthreshold FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('metrics.DurationThreshold');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.promises_commitment FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('promises.Commitment');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.promises_commitmentversion FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('promises.CommitmentVersion');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.promises_measure FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('promises.Measure');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.promises_measurebenchmark FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('promises.MeasureBenchmark');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.promises_promise FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('promises.Promise');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.promises_promisecontributor FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('promises.PromiseContributor');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.promises_promiseversion FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('promises.PromiseVersion');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.promises_signoff FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('promises.SignOff');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.surveys_followup FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('surveys.FollowUp', 'contact_email', 'contact_phone');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.surveys_survey FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('surveys.Survey');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.surveys_surveylink FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('surveys.SurveyLink');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.tenants_apikey FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('tenants.ApiKey', 'secret_hash');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.tenants_businesscalendar FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('tenants.BusinessCalendar');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.tenants_department FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('tenants.Department');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.tenants_invitation FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('tenants.Invitation', 'token_hash');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.tenants_membership FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('tenants.Membership');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.tenants_membershipdepartment FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('tenants.MembershipDepartment');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.tenants_touchpoint FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('tenants.Touchpoint');
CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.tenants_webhookendpoint FOR EACH ROW EXECUTE FUNCTION public.cxgov_audit_row('tenants.WebhookEndpoint', 'secret', 'previous_secret');
CREATE TRIGGER metrics_rollup AFTER INSERT OR DELETE ON public.feedback_serviceevent FOR EACH ROW EXECUTE FUNCTION public.metrics_service_event_rollup();
CREATE TRIGGER metrics_rollup AFTER INSERT OR DELETE ON public.feedback_storypromise FOR EACH ROW EXECUTE FUNCTION public.metrics_story_rollup();
CREATE TRIGGER metrics_rollup AFTER INSERT OR DELETE ON public.feedback_surveyresponse FOR EACH ROW EXECUTE FUNCTION public.metrics_survey_rollup();
CREATE TRIGGER metrics_rollup_update AFTER UPDATE ON public.feedback_serviceevent FOR EACH ROW WHEN (((old.measure_id IS DISTINCT FROM new.measure_id) OR (old.touchpoint_id IS DISTINCT FROM new.touchpoint_id) OR (old.occurred_at IS DISTINCT FROM new.occurred_at) OR (old.duration_seconds IS DISTINCT FROM new.duration_seconds) OR (old.outcome IS DISTINCT FROM new.outcome) OR (old.value IS DISTINCT FROM new.value))) EXECUTE FUNCTION public.metrics_service_event_rollup();
CREATE TRIGGER metrics_rollup_update AFTER UPDATE ON public.feedback_surveyresponse FOR EACH ROW WHEN (((old.measure_id IS DISTINCT FROM new.measure_id) OR (old.touchpoint_id IS DISTINCT FROM new.touchpoint_id) OR (old.occurred_at IS DISTINCT FROM new.occurred_at) OR (old.score IS DISTINCT FROM new.score))) EXECUTE FUNCTION public.metrics_survey_rollup();
ALTER TABLE ONLY public.account_emailaddress
    ADD CONSTRAINT account_emailaddress_user_id_2c513194_fk_tenants_user_id FOREIGN KEY (user_id) REFERENCES public.tenants_user(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.account_emailconfirmation
    ADD CONSTRAINT account_emailconfirm_email_address_id_5b7f8c58_fk_account_e FOREIGN KEY (email_address_id) REFERENCES public.account_emailaddress(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.auth_group_permissions
    ADD CONSTRAINT auth_group_permissio_permission_id_84c5c92e_fk_auth_perm FOREIGN KEY (permission_id) REFERENCES public.auth_permission(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.auth_group_permissions
    ADD CONSTRAINT auth_group_permissions_group_id_b120cbf9_fk_auth_group_id FOREIGN KEY (group_id) REFERENCES public.auth_group(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.auth_permission
    ADD CONSTRAINT auth_permission_content_type_id_2f476e4b_fk_django_co FOREIGN KEY (content_type_id) REFERENCES public.django_content_type(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalation
    ADD CONSTRAINT feedback_escalation_tenant_id_dbb64faa_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalation
    ADD CONSTRAINT feedback_escalation_tenant_id_department_id_2e8b6658_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalation
    ADD CONSTRAINT feedback_escalation_tenant_id_owner_id_0b96f9d2_tenant_fk FOREIGN KEY (tenant_id, owner_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalation
    ADD CONSTRAINT feedback_escalation_tenant_id_promise_id_a369750d_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalation
    ADD CONSTRAINT feedback_escalation_tenant_id_proposed_by_f622b6d9_tenant_fk FOREIGN KEY (tenant_id, proposed_by_key_id) REFERENCES public.tenants_apikey(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalation
    ADD CONSTRAINT feedback_escalation_tenant_id_proposed_by_id_f9c413f4_tenant_fk FOREIGN KEY (tenant_id, proposed_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalation
    ADD CONSTRAINT feedback_escalation_tenant_id_touchpoint_id_25f1936b_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalationevidence
    ADD CONSTRAINT feedback_escalatione_tenant_id_0730acdc_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalationentry
    ADD CONSTRAINT feedback_escalatione_tenant_id_71d7e67b_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalationentry
    ADD CONSTRAINT feedback_escalationen_tenant_id_escalation__0c8f5e75_tenant_fk FOREIGN KEY (tenant_id, escalation_id) REFERENCES public.feedback_escalation(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalationentry
    ADD CONSTRAINT feedback_escalationentry_tenant_id_actor_id_dd8d0408_tenant_fk FOREIGN KEY (tenant_id, actor_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalationevidence
    ADD CONSTRAINT feedback_escalationev_tenant_id_escalation__a1171d19_tenant_fk FOREIGN KEY (tenant_id, escalation_id) REFERENCES public.feedback_escalation(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalationevidence
    ADD CONSTRAINT feedback_escalationev_tenant_id_story_id_36c95d0b_tenant_fk FOREIGN KEY (tenant_id, story_id) REFERENCES public.feedback_story(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_escalationsettings
    ADD CONSTRAINT feedback_escalations_tenant_id_027b1f60_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_idempotencyrecord
    ADD CONSTRAINT feedback_idempotency_tenant_id_e36cc275_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_idempotencyrecord
    ADD CONSTRAINT feedback_idempotencyr_tenant_id_api_key_id_f66114cc_tenant_fk FOREIGN KEY (tenant_id, api_key_id) REFERENCES public.tenants_apikey(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_serviceevent
    ADD CONSTRAINT feedback_serviceevent_tenant_id_85d17f14_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_serviceevent
    ADD CONSTRAINT feedback_serviceevent_tenant_id_measure_id_9f7c1216_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_serviceevent
    ADD CONSTRAINT feedback_serviceevent_tenant_id_touchpoint__a88e2550_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_signalimport
    ADD CONSTRAINT feedback_signalimport_tenant_id_872cb83c_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_signalimport
    ADD CONSTRAINT feedback_signalimport_tenant_id_api_key_id_e6d546d6_tenant_fk FOREIGN KEY (tenant_id, api_key_id) REFERENCES public.tenants_apikey(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_signalimport
    ADD CONSTRAINT feedback_signalimport_tenant_id_created_by__de5356b0_tenant_fk FOREIGN KEY (tenant_id, created_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_story
    ADD CONSTRAINT feedback_story_tenant_id_57df0d67_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_story
    ADD CONSTRAINT feedback_story_tenant_id_department_id_f67d0bc4_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_story
    ADD CONSTRAINT feedback_story_tenant_id_touchpoint_id_d18e7714_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_storypromise
    ADD CONSTRAINT feedback_storypromise_tenant_id_85fb29a9_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_storypromise
    ADD CONSTRAINT feedback_storypromise_tenant_id_promise_id_5ffe5299_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_storypromise
    ADD CONSTRAINT feedback_storypromise_tenant_id_story_id_97381cf9_tenant_fk FOREIGN KEY (tenant_id, story_id) REFERENCES public.feedback_story(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_surveyresponse
    ADD CONSTRAINT feedback_surveyrespon_tenant_id_touchpoint__f4f6c1b9_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_surveyresponse
    ADD CONSTRAINT feedback_surveyresponse_tenant_id_620ae02c_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.feedback_surveyresponse
    ADD CONSTRAINT feedback_surveyresponse_tenant_id_measure_id_b3172c56_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_action
    ADD CONSTRAINT metrics_action_tenant_id_b0cb1e30_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_action
    ADD CONSTRAINT metrics_action_tenant_id_breach_event_id_74c8affb_tenant_fk FOREIGN KEY (tenant_id, breach_event_id) REFERENCES public.metrics_breachevent(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_action
    ADD CONSTRAINT metrics_action_tenant_id_commitment_id_014c8efe_tenant_fk FOREIGN KEY (tenant_id, commitment_id) REFERENCES public.promises_commitment(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_action
    ADD CONSTRAINT metrics_action_tenant_id_created_by_id_a83ae670_tenant_fk FOREIGN KEY (tenant_id, created_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_action
    ADD CONSTRAINT metrics_action_tenant_id_department_id_b7fd3a0f_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_action
    ADD CONSTRAINT metrics_action_tenant_id_escalation_id_56102433_tenant_fk FOREIGN KEY (tenant_id, escalation_id) REFERENCES public.feedback_escalation(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_action
    ADD CONSTRAINT metrics_action_tenant_id_owner_id_380f3490_tenant_fk FOREIGN KEY (tenant_id, owner_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_action
    ADD CONSTRAINT metrics_action_tenant_id_promise_id_ec160dd3_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_breachevent
    ADD CONSTRAINT metrics_breachevent_tenant_id_4f498238_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_breachevent
    ADD CONSTRAINT metrics_breachevent_tenant_id_commitment_id_ac3ec2a8_tenant_fk FOREIGN KEY (tenant_id, commitment_id) REFERENCES public.promises_commitment(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_breachevent
    ADD CONSTRAINT metrics_breachevent_tenant_id_department_id_aeeec12d_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_breachevent
    ADD CONSTRAINT metrics_breachevent_tenant_id_escalation_id_15a8dc12_tenant_fk FOREIGN KEY (tenant_id, escalation_id) REFERENCES public.feedback_escalation(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_breachevent
    ADD CONSTRAINT metrics_breachevent_tenant_id_promise_id_75323dec_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_breachevent
    ADD CONSTRAINT metrics_breachevent_tenant_id_run_id_7f6f4889_tenant_fk FOREIGN KEY (tenant_id, run_id) REFERENCES public.metrics_scorerun(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_departmentdigest
    ADD CONSTRAINT metrics_departmentdi_tenant_id_9cffe238_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_departmentdigest
    ADD CONSTRAINT metrics_departmentdig_tenant_id_department__7484c2f5_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_digest
    ADD CONSTRAINT metrics_digest_tenant_id_9496bd82_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_digest
    ADD CONSTRAINT metrics_digest_tenant_id_department_id_7665ddb3_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_digestoptout
    ADD CONSTRAINT metrics_digestoptout_tenant_id_d5901397_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_digestoptout
    ADD CONSTRAINT metrics_digestoptout_tenant_id_department_id_217d4087_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_digestoptout
    ADD CONSTRAINT metrics_digestoptout_tenant_id_membership_id_06c701ce_tenant_fk FOREIGN KEY (tenant_id, membership_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_digestsettings
    ADD CONSTRAINT metrics_digestsettings_tenant_id_fecc442d_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_digestsubscriber
    ADD CONSTRAINT metrics_digestsubscr_tenant_id_5d9ed21b_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_digestsubscriber
    ADD CONSTRAINT metrics_digestsubscri_tenant_id_added_by_id_01eaa399_tenant_fk FOREIGN KEY (tenant_id, added_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_digestsubscriber
    ADD CONSTRAINT metrics_digestsubscri_tenant_id_department__eee90060_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_durationthreshold
    ADD CONSTRAINT metrics_durationthre_tenant_id_0994dcdd_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_durationthreshold
    ADD CONSTRAINT metrics_durationthres_tenant_id_measure_id_ae8860da_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_rolluplock
    ADD CONSTRAINT metrics_rolluplock_tenant_id_a855ebe0_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_scorerun
    ADD CONSTRAINT metrics_scorerun_tenant_id_daf895eb_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_scoresnapshot
    ADD CONSTRAINT metrics_scoresnapshot_tenant_id_0aae0ca0_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_scoresnapshot
    ADD CONSTRAINT metrics_scoresnapshot_tenant_id_run_id_fae3edc0_tenant_fk FOREIGN KEY (tenant_id, run_id) REFERENCES public.metrics_scorerun(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_scoringlock
    ADD CONSTRAINT metrics_scoringlock_tenant_id_e6dd754b_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventrollup
    ADD CONSTRAINT metrics_serviceevent_tenant_id_37ced836_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventmonthrollup
    ADD CONSTRAINT metrics_serviceevent_tenant_id_38449919_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventwithinrollup
    ADD CONSTRAINT metrics_serviceevent_tenant_id_67f28564_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventwithinmonthrollup
    ADD CONSTRAINT metrics_serviceevent_tenant_id_cd99058c_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventmonthrollup
    ADD CONSTRAINT metrics_serviceeventm_tenant_id_measure_id_0375a39a_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventmonthrollup
    ADD CONSTRAINT metrics_serviceeventm_tenant_id_touchpoint__0e455a8b_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventrollup
    ADD CONSTRAINT metrics_serviceeventr_tenant_id_measure_id_c7d6bb01_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventrollup
    ADD CONSTRAINT metrics_serviceeventr_tenant_id_touchpoint__7ef41de5_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventwithinmonthrollup
    ADD CONSTRAINT metrics_serviceeventw_tenant_id_measure_id_0b3f5cb8_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventwithinrollup
    ADD CONSTRAINT metrics_serviceeventw_tenant_id_measure_id_75b64d0f_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventwithinmonthrollup
    ADD CONSTRAINT metrics_serviceeventw_tenant_id_touchpoint__4d317335_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_serviceeventwithinrollup
    ADD CONSTRAINT metrics_serviceeventw_tenant_id_touchpoint__510722cb_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_storymonthrollup
    ADD CONSTRAINT metrics_storymonthro_tenant_id_1194c476_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_storymonthrollup
    ADD CONSTRAINT metrics_storymonthrol_tenant_id_promise_id_6a9fd7eb_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_storymonthrollup
    ADD CONSTRAINT metrics_storymonthrol_tenant_id_touchpoint__a0886f0d_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_storyrollup
    ADD CONSTRAINT metrics_storyrollup_tenant_id_5baa67b2_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_storyrollup
    ADD CONSTRAINT metrics_storyrollup_tenant_id_promise_id_34bc32eb_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_storyrollup
    ADD CONSTRAINT metrics_storyrollup_tenant_id_touchpoint_id_5f6f105a_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_surveymonthrollup
    ADD CONSTRAINT metrics_surveymonthr_tenant_id_70880355_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_surveymonthrollup
    ADD CONSTRAINT metrics_surveymonthro_tenant_id_measure_id_3b4397ac_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_surveymonthrollup
    ADD CONSTRAINT metrics_surveymonthro_tenant_id_touchpoint__07f3ab6b_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_surveyrollup
    ADD CONSTRAINT metrics_surveyrollup_tenant_id_6f5b0d1b_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_surveyrollup
    ADD CONSTRAINT metrics_surveyrollup_tenant_id_measure_id_0ef1d9da_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.metrics_surveyrollup
    ADD CONSTRAINT metrics_surveyrollup_tenant_id_touchpoint_id_10bdb256_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.mfa_authenticator
    ADD CONSTRAINT mfa_authenticator_user_id_0c3a50c0_fk_tenants_user_id FOREIGN KEY (user_id) REFERENCES public.tenants_user(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_commitment
    ADD CONSTRAINT promises_commitment_tenant_id_a2554399_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_commitment
    ADD CONSTRAINT promises_commitment_tenant_id_created_by_id_67aa535d_tenant_fk FOREIGN KEY (tenant_id, created_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_commitment
    ADD CONSTRAINT promises_commitment_tenant_id_measure_id_a0e9a482_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_commitment
    ADD CONSTRAINT promises_commitment_tenant_id_promise_id_6ceaa685_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_commitment
    ADD CONSTRAINT promises_commitment_tenant_id_touchpoint_id_621cc89c_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_commitmentversion
    ADD CONSTRAINT promises_commitmentv_tenant_id_0cee65ba_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_commitmentversion
    ADD CONSTRAINT promises_commitmentve_tenant_id_commitment__281e7ecd_tenant_fk FOREIGN KEY (tenant_id, commitment_id) REFERENCES public.promises_commitment(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_commitmentversion
    ADD CONSTRAINT promises_commitmentve_tenant_id_created_by__eaa6a0ae_tenant_fk FOREIGN KEY (tenant_id, created_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_measure
    ADD CONSTRAINT promises_measure_tenant_id_037802e8_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_measurebenchmark
    ADD CONSTRAINT promises_measurebenc_tenant_id_045b17f2_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_measurebenchmark
    ADD CONSTRAINT promises_measurebench_tenant_id_measure_id_346225e9_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_promise
    ADD CONSTRAINT promises_promise_tenant_id_17f286c5_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_promise
    ADD CONSTRAINT promises_promise_tenant_id_created_by_id_b8bf2994_tenant_fk FOREIGN KEY (tenant_id, created_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_promise
    ADD CONSTRAINT promises_promise_tenant_id_owner_id_5c011bdd_tenant_fk FOREIGN KEY (tenant_id, owner_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_promise
    ADD CONSTRAINT promises_promise_tenant_id_parent_id_5f67a883_tenant_fk FOREIGN KEY (tenant_id, parent_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_promisecontributor
    ADD CONSTRAINT promises_promisecont_tenant_id_2dc31b2e_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_promisecontributor
    ADD CONSTRAINT promises_promisecontr_tenant_id_department__c236a838_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_promisecontributor
    ADD CONSTRAINT promises_promisecontr_tenant_id_promise_id_0a3fcd6f_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_promiseversion
    ADD CONSTRAINT promises_promiseversi_tenant_id_created_by__18438353_tenant_fk FOREIGN KEY (tenant_id, created_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_promiseversion
    ADD CONSTRAINT promises_promiseversion_tenant_id_7eaa533e_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_promiseversion
    ADD CONSTRAINT promises_promiseversion_tenant_id_promise_id_42cb2608_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_signoff
    ADD CONSTRAINT promises_signoff_tenant_id_c2e435ac_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_signoff
    ADD CONSTRAINT promises_signoff_tenant_id_decided_by_id_870757f2_tenant_fk FOREIGN KEY (tenant_id, decided_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_signoff
    ADD CONSTRAINT promises_signoff_tenant_id_department_id_d08c7eca_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.promises_signoff
    ADD CONSTRAINT promises_signoff_tenant_id_promise_id_19e03a43_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_followup
    ADD CONSTRAINT surveys_followup_tenant_id_069dffb8_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_followup
    ADD CONSTRAINT surveys_followup_tenant_id_closed_by_id_d075cf17_tenant_fk FOREIGN KEY (tenant_id, closed_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_followup
    ADD CONSTRAINT surveys_followup_tenant_id_department_id_79ca41d7_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_followup
    ADD CONSTRAINT surveys_followup_tenant_id_owner_id_b9ca98b5_tenant_fk FOREIGN KEY (tenant_id, owner_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_followup
    ADD CONSTRAINT surveys_followup_tenant_id_survey_id_59bf6ae8_tenant_fk FOREIGN KEY (tenant_id, survey_id) REFERENCES public.surveys_survey(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_followup
    ADD CONSTRAINT surveys_followup_tenant_id_touchpoint_id_8db4b0e3_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_survey
    ADD CONSTRAINT surveys_survey_tenant_id_a2058441_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_survey
    ADD CONSTRAINT surveys_survey_tenant_id_created_by_id_ef8260d0_tenant_fk FOREIGN KEY (tenant_id, created_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_survey
    ADD CONSTRAINT surveys_survey_tenant_id_department_id_7ac34b88_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_survey
    ADD CONSTRAINT surveys_survey_tenant_id_measure_id_b488a287_tenant_fk FOREIGN KEY (tenant_id, measure_id) REFERENCES public.promises_measure(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_survey
    ADD CONSTRAINT surveys_survey_tenant_id_promise_id_cd498faf_tenant_fk FOREIGN KEY (tenant_id, promise_id) REFERENCES public.promises_promise(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_survey
    ADD CONSTRAINT surveys_survey_tenant_id_touchpoint_id_1f932252_tenant_fk FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES public.tenants_touchpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_surveylink
    ADD CONSTRAINT surveys_surveylink_tenant_id_ad553c99_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.surveys_surveylink
    ADD CONSTRAINT surveys_surveylink_tenant_id_survey_id_36b16e14_tenant_fk FOREIGN KEY (tenant_id, survey_id) REFERENCES public.surveys_survey(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_apikey
    ADD CONSTRAINT tenants_apikey_tenant_id_93769949_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_apikey
    ADD CONSTRAINT tenants_apikey_tenant_id_created_by_id_85927643_tenant_fk FOREIGN KEY (tenant_id, created_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_auditevent
    ADD CONSTRAINT tenants_auditevent_tenant_id_45dbc5b7_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_businesscalendar
    ADD CONSTRAINT tenants_businesscale_tenant_id_3cbf4810_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_businesscalendar
    ADD CONSTRAINT tenants_businesscalen_tenant_id_department__b8946d0e_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_department
    ADD CONSTRAINT tenants_department_tenant_id_b681b6e5_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_invitation
    ADD CONSTRAINT tenants_invitation_tenant_id_1e73354a_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_invitation
    ADD CONSTRAINT tenants_invitation_tenant_id_invited_by_id_9562a415_tenant_fk FOREIGN KEY (tenant_id, invited_by_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_membership
    ADD CONSTRAINT tenants_membership_tenant_id_55f75d05_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_membership
    ADD CONSTRAINT tenants_membership_user_id_2c860192_fk_tenants_user_id FOREIGN KEY (user_id) REFERENCES public.tenants_user(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_membershipdepartment
    ADD CONSTRAINT tenants_membershipde_tenant_id_0d3d3f7c_fk_tenants_t FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_membershipdepartment
    ADD CONSTRAINT tenants_membershipdep_tenant_id_department__1f8a3c38_tenant_fk FOREIGN KEY (tenant_id, department_id) REFERENCES public.tenants_department(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_membershipdepartment
    ADD CONSTRAINT tenants_membershipdep_tenant_id_membership__d4ec6919_tenant_fk FOREIGN KEY (tenant_id, membership_id) REFERENCES public.tenants_membership(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_outboxbody
    ADD CONSTRAINT tenants_outboxbody_tenant_id_5d310eef_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_outboxmessage
    ADD CONSTRAINT tenants_outboxmessage_tenant_id_body_id_e0d4320e_tenant_fk FOREIGN KEY (tenant_id, body_id) REFERENCES public.tenants_outboxbody(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_outboxmessage
    ADD CONSTRAINT tenants_outboxmessage_tenant_id_d1fe3c51_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_tenantheartbeat
    ADD CONSTRAINT tenants_tenantheartbeat_tenant_id_e998be78_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_touchpoint
    ADD CONSTRAINT tenants_touchpoint_tenant_id_b405a923_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_user_groups
    ADD CONSTRAINT tenants_user_groups_group_id_217b8f87_fk_auth_group_id FOREIGN KEY (group_id) REFERENCES public.auth_group(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_user_groups
    ADD CONSTRAINT tenants_user_groups_user_id_5c8b04b7_fk_tenants_user_id FOREIGN KEY (user_id) REFERENCES public.tenants_user(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_user_user_permissions
    ADD CONSTRAINT tenants_user_user_pe_permission_id_bc2e7c1b_fk_auth_perm FOREIGN KEY (permission_id) REFERENCES public.auth_permission(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_user_user_permissions
    ADD CONSTRAINT tenants_user_user_pe_user_id_f9b9e114_fk_tenants_u FOREIGN KEY (user_id) REFERENCES public.tenants_user(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_webhookdelivery
    ADD CONSTRAINT tenants_webhookdelive_tenant_id_endpoint_id_dc9d46ab_tenant_fk FOREIGN KEY (tenant_id, endpoint_id) REFERENCES public.tenants_webhookendpoint(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_webhookdelivery
    ADD CONSTRAINT tenants_webhookdelivery_tenant_id_724b96df_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ONLY public.tenants_webhookendpoint
    ADD CONSTRAINT tenants_webhookendpoint_tenant_id_04c55aed_fk_tenants_tenant_id FOREIGN KEY (tenant_id) REFERENCES public.tenants_tenant(id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE public.feedback_escalation ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_escalationentry ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_escalationevidence ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_escalationsettings ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_idempotencyrecord ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_serviceevent ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_signalimport ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_story ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_storypromise ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.feedback_surveyresponse ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_action ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_breachevent ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_departmentdigest ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_digest ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_digestoptout ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_digestsettings ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_digestsubscriber ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_durationthreshold ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_rolluplock ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_scorerun ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_scoresnapshot ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_scoringlock ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_serviceeventmonthrollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_serviceeventrollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_serviceeventwithinmonthrollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_serviceeventwithinrollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_storymonthrollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_storyrollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_surveymonthrollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.metrics_surveyrollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.promises_commitment ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.promises_commitmentversion ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.promises_measure ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.promises_measurebenchmark ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.promises_promise ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.promises_promisecontributor ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.promises_promiseversion ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.promises_signoff ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.surveys_followup ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.surveys_survey ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.surveys_surveylink ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.feedback_escalation USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.feedback_escalationentry USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.feedback_escalationevidence USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.feedback_escalationsettings USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.feedback_idempotencyrecord USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.feedback_serviceevent USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.feedback_signalimport USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.feedback_story USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.feedback_storypromise USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.feedback_surveyresponse USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_action USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_breachevent USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_departmentdigest USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_digest USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_digestoptout USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_digestsettings USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_digestsubscriber USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_durationthreshold USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_rolluplock USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_scorerun USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_scoresnapshot USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_scoringlock USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_serviceeventmonthrollup USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_serviceeventrollup USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_serviceeventwithinmonthrollup USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_serviceeventwithinrollup USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_storymonthrollup USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_storyrollup USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_surveymonthrollup USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.metrics_surveyrollup USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.promises_commitment USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.promises_commitmentversion USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.promises_measure USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.promises_measurebenchmark USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.promises_promise USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.promises_promisecontributor USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.promises_promiseversion USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.promises_signoff USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.surveys_followup USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.surveys_survey USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.surveys_surveylink USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_apikey USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_auditevent USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_businesscalendar USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_department USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_invitation USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_membership USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_membershipdepartment USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_outboxbody USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_outboxmessage USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_tenantheartbeat USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_touchpoint USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_webhookdelivery USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
CREATE POLICY tenant_isolation ON public.tenants_webhookendpoint USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint));
ALTER TABLE public.tenants_apikey ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_auditevent ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_businesscalendar ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_department ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_invitation ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_membership ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_membershipdepartment ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_outboxbody ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_outboxmessage ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_tenantheartbeat ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_touchpoint ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_webhookdelivery ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants_webhookendpoint ENABLE ROW LEVEL SECURITY;
