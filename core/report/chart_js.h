#pragma once
// Chart.js (MIT, chartjs.org), the charting library the run report embeds so that the page needs no network.
namespace delrec::report {

extern const char* const kChartJs;  // chart.min.js as shipped by Debian's libjs-chart.js

}  // namespace delrec::report
