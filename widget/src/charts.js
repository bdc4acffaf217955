// The ops dashboard's charts: Chart.js (MIT) with only the parts the dashboard draws, exposed as window.KefuCharts.
// Built into dist/charts.js and served by the console at /widget/charts.js (no CDN).
import {
  ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Filler, Legend, LinearScale,
  LineController, LineElement, PointElement, Tooltip,
} from "chart.js";

Chart.register(ArcElement, BarController, BarElement, CategoryScale, DoughnutController, Filler, Legend, LinearScale,
  LineController, LineElement, PointElement, Tooltip);

window.KefuCharts = { Chart };
