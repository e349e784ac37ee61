"""training: Bimtek courses, sessions, enrolment, attendance, certificates."""
