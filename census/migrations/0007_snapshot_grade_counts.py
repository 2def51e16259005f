"""Each snapshot's learners per grade (by sex, and under the subsidy's minimum age), written when it
is frozen; this migration fills them for the snapshots frozen before."""

from datetime import date

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
INSERT INTO census_snapshotgradecount (snapshot_id, grade, learners, male, female, under_age,
    min_age)
SELECT r.snapshot_id, r.grade, COUNT(*), SUM(CASE WHEN r.sex = 'M' THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.sex = 'F' THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.birth_date > %s THEN 1 ELSE 0 END), %s
FROM census_snapshotrow r JOIN census_rostersnapshot s ON s.id = r.snapshot_id
WHERE s.as_of = %s
  AND NOT EXISTS (SELECT 1 FROM census_snapshotgradecount c WHERE c.snapshot_id = s.id)
GROUP BY r.snapshot_id, r.grade
"""


def born_after(as_of: date, years: int) -> date:
    # census.subsidy.funded_born_after as it stands in this migration.
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - years, day=28)


def backfill(connection) -> int:
    """Count the rows of every snapshot without grade counts (one INSERT … SELECT … GROUP BY per
    as-of date); return how many grade counts were written."""
    years = settings.SUBSIDY_MIN_AGE
    written = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT as_of FROM census_rostersnapshot")
        for (as_of,) in cursor.fetchall():
            if isinstance(as_of, str):  # SQLite
                as_of = date.fromisoformat(as_of)
            cursor.execute(BACKFILL, [born_after(as_of, years), years, as_of])
            written += cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE census_snapshotgradecount")
    return written


def forward(apps, schema_editor):
    backfill(schema_editor.connection)



class Migration(migrations.Migration):

    dependencies = [
        ('census', '0006_calendar_feed_reminders_rollover'),
    ]

    operations = [
        migrations.CreateModel(
            name='SnapshotGradeCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grade', models.CharField(max_length=4)),
                ('learners', models.PositiveIntegerField()),
                ('male', models.PositiveIntegerField()),
                ('female', models.PositiveIntegerField()),
                ('under_age', models.PositiveIntegerField()),
                ('min_age', models.PositiveSmallIntegerField()),
                ('snapshot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='grade_counts', to='census.rostersnapshot')),
            ],
            options={
                'verbose_name': 'snapshot grade count',
                'verbose_name_plural': 'snapshot grade counts',
                'constraints': [models.UniqueConstraint(fields=('snapshot', 'grade'), name='one_grade_count_per_snapshot')],
            },
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
