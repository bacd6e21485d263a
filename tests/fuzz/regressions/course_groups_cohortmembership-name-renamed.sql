user_id	course_id	group_type	NAME
10	course-v1:UniversityX+CS-101x+3T2024	cohort	Cohort A
11	course-v1:UniversityX+CS-101x+3T2024	cohort	Cohort B
