id	username	first_name	last_name	email	password	is_staff	is_active	is_superuser	last_login	date_joined	status	email_key	avatar_type	country	show_country	date_of_birth	interesting_tags	ignored_tags	email_tag_filter_strategy	display_tag_filter_strategy	consecutive_days_visit_count
10	bao_10	Bao	Tanaka	learner10@example.org		0	1	0	NULL	2023-07-17 03:10:41.120000		NULL			0	NULL			0	0	0
99	BAO_10	Bao	Clash	bao99@example.org		0	1	0	NULL	2023-07-17 03:10:41.120000		NULL			0	NULL			0	0	0
