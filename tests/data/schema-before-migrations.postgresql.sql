-- The schema wxbot's create_all made before migrations (main at 807a9ec), one statement a block.

CREATE TABLE issues (
	id VARCHAR(10) NOT NULL, 
	date VARCHAR(10) NOT NULL, 
	series_title TEXT NOT NULL, 
	summary TEXT NOT NULL, 
	data TEXT NOT NULL, 
	source_sha256 VARCHAR(64) NOT NULL, 
	revision INTEGER NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_issues_date ON issues (date);

CREATE INDEX ix_issues_source_sha256 ON issues (source_sha256);

CREATE TABLE issue_links (
	issue_id VARCHAR(10) NOT NULL, 
	article_url TEXT NOT NULL, 
	source VARCHAR(40) NOT NULL, 
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (issue_id)
);

CREATE TABLE wechat_tokens (
	account VARCHAR(200) NOT NULL, 
	access_token TEXT NOT NULL, 
	expires_at TIMESTAMP WITH TIME ZONE, 
	fetched_at TIMESTAMP WITH TIME ZONE, 
	lease_owner VARCHAR(64), 
	lease_until TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (account)
);

CREATE TABLE wechat_media (
	id SERIAL NOT NULL, 
	account VARCHAR(200) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	size INTEGER NOT NULL, 
	media_id TEXT NOT NULL, 
	url TEXT NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ux_wechat_media_content ON wechat_media (account, kind, sha256);

CREATE TABLE publish_jobs (
	publish_id VARCHAR(64) NOT NULL, 
	account VARCHAR(200) NOT NULL, 
	issue_id VARCHAR(10) NOT NULL, 
	draft_media_id TEXT NOT NULL, 
	draft_version INTEGER NOT NULL, 
	status INTEGER, 
	article_id TEXT NOT NULL, 
	article_url TEXT NOT NULL, 
	fail_idx TEXT NOT NULL, 
	submitted_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	finished_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (publish_id)
);

CREATE INDEX ix_publish_jobs_issue_id ON publish_jobs (issue_id);

CREATE TABLE mass_sends (
	id SERIAL NOT NULL, 
	account VARCHAR(200) NOT NULL, 
	issue_id VARCHAR(10) NOT NULL, 
	clientmsgid VARCHAR(64) NOT NULL, 
	audience VARCHAR(32) NOT NULL, 
	tag_id INTEGER, 
	draft_media_id TEXT NOT NULL, 
	draft_version INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	msg_id VARCHAR(32) NOT NULL, 
	msg_data_id VARCHAR(32) NOT NULL, 
	total_count INTEGER, 
	filter_count INTEGER, 
	sent_count INTEGER, 
	error_count INTEGER, 
	article_url TEXT NOT NULL, 
	errcode INTEGER, 
	error TEXT NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	finished_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ux_mass_sends_reaching ON mass_sends (account, issue_id, audience) WHERE status IN ('sending', 'unconfirmed', 'accepted', 'success');

CREATE UNIQUE INDEX ux_mass_sends_clientmsgid ON mass_sends (account, clientmsgid);

CREATE INDEX ix_mass_sends_issue_id ON mass_sends (issue_id);

CREATE INDEX ix_mass_sends_msg_id ON mass_sends (msg_id);

CREATE TABLE wechat_previews (
	id SERIAL NOT NULL, 
	account VARCHAR(200) NOT NULL, 
	issue_id VARCHAR(10) NOT NULL, 
	draft_media_id TEXT NOT NULL, 
	draft_version INTEGER NOT NULL, 
	recipient VARCHAR(128) NOT NULL, 
	msg_id VARCHAR(32) NOT NULL, 
	sent_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE publish_runs (
	id SERIAL NOT NULL, 
	issue_id VARCHAR(10) NOT NULL, 
	mode VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	summary TEXT NOT NULL, 
	started_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	finished_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_publish_runs_issue_id ON publish_runs (issue_id);

CREATE TABLE search_docs (
	id BIGINT NOT NULL, 
	issue_id VARCHAR(10) NOT NULL, 
	kind VARCHAR(8) NOT NULL, 
	heading TEXT NOT NULL, 
	text TEXT NOT NULL, 
	tokens TEXT NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_search_docs_issue_id ON search_docs (issue_id);

CREATE TABLE search_issues (
	id BIGINT NOT NULL, 
	issue_id VARCHAR(10) NOT NULL, 
	tokens TEXT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (issue_id)
);

CREATE TABLE search_state (
	name VARCHAR(20) NOT NULL, 
	value BIGINT NOT NULL, 
	PRIMARY KEY (name)
);

CREATE TABLE follower_messages (
	dedupe_key VARCHAR(160) NOT NULL, 
	openid VARCHAR(64) NOT NULL, 
	msg_type VARCHAR(32) NOT NULL, 
	query TEXT NOT NULL, 
	handler VARCHAR(32) NOT NULL, 
	answer VARCHAR(16) NOT NULL, 
	found BOOLEAN NOT NULL, 
	results TEXT NOT NULL, 
	reply TEXT, 
	received_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (dedupe_key)
);

CREATE INDEX ix_follower_messages_received ON follower_messages (received_at);

CREATE INDEX ix_follower_messages_openid ON follower_messages (openid, received_at);

CREATE TABLE keyword_rules (
	id SERIAL NOT NULL, 
	keyword TEXT NOT NULL, 
	match VARCHAR(8) NOT NULL, 
	reply TEXT NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE issue_revisions (
	id SERIAL NOT NULL, 
	issue_id VARCHAR(10) NOT NULL, 
	revision INTEGER NOT NULL, 
	source_name TEXT NOT NULL, 
	source_format VARCHAR(16) NOT NULL, 
	source_text TEXT NOT NULL, 
	source_sha256 VARCHAR(64) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(issue_id) REFERENCES issues (id)
);

CREATE UNIQUE INDEX ix_issue_revisions_issue ON issue_revisions (issue_id, revision);

CREATE TABLE wechat_drafts (
	account VARCHAR(200) NOT NULL, 
	issue_id VARCHAR(10) NOT NULL, 
	media_id TEXT NOT NULL, 
	version INTEGER NOT NULL, 
	content_sha256 VARCHAR(64) NOT NULL, 
	title TEXT NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (account, issue_id), 
	FOREIGN KEY(issue_id) REFERENCES issues (id)
);

CREATE TABLE publish_steps (
	id SERIAL NOT NULL, 
	run_id INTEGER NOT NULL, 
	step VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	detail TEXT NOT NULL, 
	errcode INTEGER, 
	at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(run_id) REFERENCES publish_runs (id)
);

CREATE INDEX ix_publish_steps_run_id ON publish_steps (run_id);

CREATE TABLE send_jobs (
	id SERIAL NOT NULL, 
	issue_id VARCHAR(10) NOT NULL, 
	tag_id INTEGER, 
	send_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	clientmsgid VARCHAR(64) NOT NULL, 
	active_key VARCHAR(40), 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	prepared_at TIMESTAMP WITH TIME ZONE, 
	prepared_revision INTEGER, 
	prepare_error TEXT, 
	prepare_after TIMESTAMP WITH TIME ZONE, 
	claimed_by VARCHAR(80), 
	lease_until TIMESTAMP WITH TIME ZONE, 
	attempts INTEGER NOT NULL, 
	msg_id VARCHAR(32), 
	duplicate BOOLEAN NOT NULL, 
	submitted_at TIMESTAMP WITH TIME ZONE, 
	check_after TIMESTAMP WITH TIME ZONE, 
	finished_at TIMESTAMP WITH TIME ZONE, 
	total_count INTEGER, 
	filter_count INTEGER, 
	sent_count INTEGER, 
	error_count INTEGER, 
	article_url TEXT, 
	error TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(issue_id) REFERENCES issues (id), 
	UNIQUE (clientmsgid), 
	UNIQUE (active_key)
);

CREATE INDEX ix_send_jobs_state_send_at ON send_jobs (state, send_at);

CREATE INDEX ix_send_jobs_issue_id ON send_jobs (issue_id);

CREATE TABLE send_job_log (
	id SERIAL NOT NULL, 
	job_id INTEGER NOT NULL, 
	at TIMESTAMP WITH TIME ZONE NOT NULL, 
	event VARCHAR(24) NOT NULL, 
	detail TEXT NOT NULL, 
	worker VARCHAR(80) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(job_id) REFERENCES send_jobs (id)
);

CREATE INDEX ix_send_job_log_job_id ON send_job_log (job_id);
