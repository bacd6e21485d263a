user_id	course_id	group_type	name
10	course-v1:UniversityX+CS-101x+3T2024	cohort	Cohort A
12	course-v1:UniversityX+CS-101x+3T20	cohort	Cohort A
