"""Running Airflow's services (make up / make down)."""
