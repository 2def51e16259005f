"""The signer's role as a signed record prints it, in Thai: one home for every flow and report."""

ROLE_STAFF = "เจ้าหน้าที่โรงเรียน"
ROLE_DIRECTOR = "ผู้อำนวยการโรงเรียน"
ROLE_AREA_OFFICER = "เจ้าหน้าที่สำนักงานเขตพื้นที่การศึกษา"
ROLE_MINISTRY = "ผู้ดูแลระบบ สพฐ."
