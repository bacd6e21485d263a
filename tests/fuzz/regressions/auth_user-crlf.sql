id	username	first_name	last_name	email	password	is_staff	is_active	is_superuser	last_login	date_joined	status	email_key	avatar_type	country	show_country	date_of_birth	interesting_tags	ignored_tags	email_tag_filter_strategy	display_tag_filter_strategy	consecutive_days_visit_count
10	bao_10	Bao	Tanaka	learner10@example.org		0	1	0	NULL	2023-07-17 03:10:41.120000		NULL			0	NULL			0	0	0
11	hiro_11	Hiro	Müller	learner11@example.org		0	1	0	2024-07-25 21:11:13	2024-03-27 16:34:56		NULL			0	NULL			0	0	0
12	chidi_12	Chidi	Tanaka	learner12@example.org		0	1	0	2024-07-20 13:37:42	2024-03-08 23:09:34.120000		NULL			0	NULL			0	0	0
13	josé_13	José	Müller	learner13@example.org		0	1	0	2024-08-02 18:46:16.000005	2023-10-08 00:01:12.000005		NULL			0	NULL			0	0	0
14	bao_14	Bao	Haddad	learner14@example.org		0	1	0	2024-08-02 03:46:47.000005	2023-12-30 11:53:09.000005		NULL			0	NULL			0	0	0
15	ada_15	Ada	O'Neil	learner15@example.org		0	1	0	2024-07-23 02:53:17.120000	2024-04-09 20:33:00		NULL			0	NULL			0	0	0
16	farid_16	Farid	Nguyen	learner16@example.org		0	1	0	2024-08-10 17:08:56.120000	2023-06-26 06:34:37.000005		NULL			0	NULL			0	0	0
17	farid_17	Farid	Hopper	learner17@example.org		0	1	0	NULL	2023-12-24 03:51:09.120000		NULL			0	NULL			0	0	0
18	grace_18	Grace	Hopper	learner18@example.org		0	1	0	2024-08-05 17:25:00.120000	2023-10-12 03:08:01.120000		NULL			0	NULL			0	0	0
19	chidi_19	Chidi	Tanaka	learner19@example.org		0	1	0	2024-08-05 16:33:12.000005	2023-11-26 06:10:45.000005		NULL			0	NULL			0	0	0
20	josé_20	José	Lovelace	learner20@example.org		0	1	0	2024-08-16 08:13:50.120000	2024-03-10 16:09:30.000005		NULL			0	NULL			0	0	0
21	farid_21	Farid	Tanaka	learner21@example.org		0	1	0	2024-08-10 11:01:20.000005	2023-06-18 14:04:38.000005		NULL			0	NULL			0	0	0
22	dana_22	Dana	Haddad	learner22@example.org		0	1	0	2024-08-16 06:30:19.000005	2023-10-10 08:34:04		NULL			0	NULL			0	0	0
23	inès_23	Inès	O'Neil	learner23@example.org		0	1	0	2024-07-25 17:14:05	2023-11-05 12:21:02.000005		NULL			0	NULL			0	0	0
24	ada_24	Ada	Tanaka	learner24@example.org		0	1	0	NULL	2023-10-28 18:21:27.120000		NULL			0	NULL			0	0	0
25	josé_25	José	Okafor	learner25@example.org		0	1	0	2024-07-26 12:11:41	2024-02-29 05:58:01.000005		NULL			0	NULL			0	0	0
26	grace_26	Grace	Lovelace	learner26@example.org		0	1	0	2024-07-20 16:14:39.120000	2023-09-22 16:29:29		NULL			0	NULL			0	0	0
27	élodie_27	Élodie	O'Neil	learner27@example.org		0	1	0	2024-08-10 18:59:11	2023-12-11 10:21:02.120000		NULL			0	NULL			0	0	0
28	dana_28	Dana	Nguyen	learner28@example.org		0	1	0	2024-08-03 15:37:01.000005	2023-09-13 15:35:15		NULL			0	NULL			0	0	0
29	élodie_29	Élodie	Tanaka	learner29@example.org		0	1	0	2024-08-12 18:15:38.120000	2024-01-03 20:08:30.000005		NULL			0	NULL			0	0	0
