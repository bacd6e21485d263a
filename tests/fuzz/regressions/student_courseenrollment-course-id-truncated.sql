id	user_id	course_id	created	is_active	mode
10	10	course-v1:UniversityX+CS-101x	2024-07-21 20:46:45.120000	1	verified
11	11	course-v1:UniversityX+CS-101x+3T2024	2024-07-20 16:14:04.120000	1	honor
